// The company page: send the profile to POST /v1/match, show the ranked clusters, the decision and
// the passages that explain each match; optionally send the profile to the office as an inquiry.
(() => {
  "use strict";

  const { t, pick, h, scoreBar, reasonText, errorDetail } = window.I18N;
  const MAX_CHARS = 20000;
  const state = { result: null, text: "", sent: null };

  const $ = (id) => document.getElementById(id);
  // Blank as the server sees it: whitespace and characters that show nothing (matcher.text.INVISIBLE).
  const isBlank = (text) => !text.replace(/[\u0000\u00ad\u180e\u200b-\u200d\u2060\ufeff]/g, "").trim();

  function clusterName(id) {
    const m = state.result && state.result.matches.find((x) => x.cluster.id === id);
    return m ? pick(m.cluster.name) : id;
  }

  /**
   * The profile with the evidence passages marked. Offsets from the API count Unicode code points
   * (Python), so the text is indexed as an array of code points, not UTF-16 units.
   */
  function highlighted(text, evidence) {
    const points = Array.from(text);
    const parts = [];
    let at = 0;
    for (const ev of [...evidence].sort((a, b) => a.start - b.start)) {
      if (ev.start < at || ev.end > points.length) continue; // overlapping or out of range: skip
      parts.push(points.slice(at, ev.start).join(""));
      parts.push(h("mark", { title: `${Math.round(ev.weight * 100)}%` }, points.slice(ev.start, ev.end).join("")));
      at = ev.end;
    }
    parts.push(points.slice(at).join(""));
    return parts;
  }

  /** Why a cluster scored as it did: for one not recommended, its closest sentences, said as such. */
  function explanation(match, open, recommended) {
    const ex = match.explanation;
    if (!ex) return null;
    const body = ex.evidence.length === 0
      ? [h("p", {}, t("whyNone"))]
      : [
          ex.matched_terms.length ? h("p", { class: "terms" }, `${t("terms")}: `, ex.matched_terms.join(", ")) : null,
          h("p", {}, t(recommended ? "passages" : "passagesWeak")),
          h("blockquote", { class: "profile-text", lang: state.result.lang, tabindex: "0", "aria-label": t("profileText") },
            highlighted(state.text, ex.evidence)),
        ];
    return h("details", { class: "why", open }, h("summary", {}, t("why")), ...body);
  }

  function card(match, index, decision) {
    const c = match.cluster;
    const name = pick(c.name);
    const recommended = decision.includes(c.id);
    const title = c.url ? h("a", { href: c.url, rel: "noopener", target: "_blank" }, name) : name;
    return h("li", { class: recommended ? "match recommended" : "match", "data-cluster": c.id },
      h("div", { class: "match-head" },
        h("h3", {}, title),
        recommended ? h("span", { class: "badge" }, t("recommended")) : null),
      scoreBar(match.score, t("confidence")),
      recommended || index === 0
        ? h("p", { class: "desc" }, pick(c.description))
        : h("details", { class: "about" }, h("summary", {}, t("about")), h("p", { class: "desc" }, pick(c.description))),
      c.url ? null : h("p", { class: "hint" }, t("noWebsite")),
      explanation(match, index === 0, recommended));
  }

  function render() {
    const r = state.result;
    if (!r) return;
    const names = r.decision.map(clusterName).join(", ");
    const lines = [r.outcome === "unclear"
      ? h("p", { class: "unclear", "data-outcome": "unclear" }, t("unclear"))
      : h("p", { class: r.decision.length ? "fits" : "no-fit" }, r.decision.length ? t("fits", { names }) : t("noFit"))];
    if (r.needs_review) lines.push(h("p", { class: "review" }, t("review", { reason: reasonText(r.review_reason, clusterName) })));
    $("decision").replaceChildren(...lines);
    $("matches").replaceChildren(...r.matches.map((m, i) => card(m, i, r.decision)));
    $("results").hidden = false;
    $("send").hidden = false;
  }

  function announce(r) {
    const best = r.matches[0];
    $("announce").textContent = r.decision.length
      ? t("announce", { name: pick(best.cluster.name), score: window.I18N.percent(best.score) })
      : t("announceNone");
  }

  /** A failed match hides the previous profile's results: they would read as this one's. */
  function clearResults() {
    state.result = null;
    $("results").hidden = true;
    $("send").hidden = true;
    $("announce").textContent = "";
  }

  function showError(message) {
    $("form-error").textContent = message;
  }

  async function messageFor(response) {
    if (response.status === 503) return t("errLoading");
    if (response.status === 413) return t("errTooLong", { max: MAX_CHARS });
    return t("errOther", { detail: await errorDetail(response) });
  }

  async function submitProfile(event) {
    event.preventDefault();
    const text = $("profile").value;
    showError("");
    // The results on show belong to a text that is no longer in the box: an error hides them.
    if (isBlank(text)) { clearResults(); showError(t("errEmpty")); $("profile").focus(); return; }
    if (Array.from(text).length > MAX_CHARS) { clearResults(); showError(t("errTooLong", { max: MAX_CHARS })); return; }
    $("submit").disabled = true;
    $("results").setAttribute("aria-busy", "true");
    $("announce").textContent = t("working");
    try {
      const response = await fetch("/v1/match", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text, top_k: 100 }),
      });
      if (!response.ok) { clearResults(); showError(await messageFor(response)); return; }
      state.result = await response.json();
      state.text = text;
      $("send-status").textContent = "";
      render();
      announce(state.result);
      $("results-heading").focus();
    } catch {
      clearResults();
      showError(t("errNetwork"));
    } finally {
      $("submit").disabled = false;
      $("results").setAttribute("aria-busy", "false");
    }
  }

  async function sendInquiry(event) {
    event.preventDefault();
    // What is in the box now goes to the office (the office routes it again), not the last match.
    const text = $("profile").value;
    const contact = $("contact").value.trim();
    if (isBlank(text)) { $("send-status").textContent = t("errEmpty"); $("profile").focus(); return; }
    if (Array.from(text).length > MAX_CHARS) { $("send-status").textContent = t("errTooLong", { max: MAX_CHARS }); return; }
    if (state.sent && state.sent.text === text && state.sent.contact === contact) {
      $("send-status").textContent = t("alreadySent", { id: state.sent.id });
      return;
    }
    $("send-button").disabled = true;
    try {
      const response = await fetch("/v1/inquiries", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text, contact: contact || null }),
      });
      if (response.ok) {
        const { id } = await response.json();
        state.sent = { text, contact, id };
        $("send-status").textContent = t("sent", { id });
      } else {
        $("send-status").textContent = await messageFor(response);
      }
    } catch {
      $("send-status").textContent = t("errNetwork");
    } finally {
      $("send-button").disabled = false;
    }
  }

  function updateCount() {
    const n = Array.from($("profile").value).length;
    $("profile-count").textContent = t("chars", { n, max: MAX_CHARS });
    $("profile-count").classList.toggle("over", n > MAX_CHARS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("match-form").addEventListener("submit", submitProfile);
    $("send-form").addEventListener("submit", sendInquiry);
    $("profile").addEventListener("input", updateCount);
    updateCount();
    window.I18N.onChange(() => { updateCount(); render(); });
  });
})();
