// The company page: send the profile to POST /v1/match, show the ranked clusters, the decision and
// the passages that explain each match; optionally send the profile to the office as an inquiry.
(() => {
  "use strict";

  const { t, pick, h, scoreBar, reasonText, isForeign, errorDetail, possible } = window.I18N;
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

  /**
   * Why the matcher cannot judge this text at all, or null: it is in neither English nor Polish
   * ("foreign"), or it does not say what the organisation does ("unclear"). Then no cluster is
   * recommended, whatever its score.
   */
  function unreadable(r) {
    if (isForeign(r.review_reason)) return "foreign";
    if (r.outcome === "unclear") return "unclear";
    return null;
  }

  /** What a cluster's score means for the company: recommended, also possible, unlikely, or not assessed. */
  function level(match, r) {
    if (unreadable(r)) return "unassessed";
    if (r.decision.includes(match.cluster.id)) return "recommended";
    return possible(match.score) ? "possible" : "unlikely";
  }

  const PASSAGES = { recommended: "passages", possible: "passagesPossible", unlikely: "passagesWeak", unassessed: "passagesUnassessed" };

  /** Why a cluster scored as it did, in the words of its level (a cluster not recommended is never said to be led to). */
  function explanation(match, open, lvl) {
    const ex = match.explanation;
    if (!ex) return null;
    const codes = (ex.activity_codes || []).length
      ? h("p", { class: "codes" }, `${t("codes")}: `, ex.activity_codes.join("; "))
      : null;
    const body = ex.evidence.length === 0
      ? [h("p", {}, t(lvl === "recommended" ? "whyNoneRecommended" : "whyNone")), codes]
      : [
          ex.matched_terms.length ? h("p", { class: "terms" }, `${t("terms")}: `, ex.matched_terms.join(", ")) : null,
          codes,
          h("p", { class: "passages-note" }, t(PASSAGES[lvl])),
          h("blockquote", { class: "profile-text", lang: state.result.lang, tabindex: "0", "aria-label": t("profileText") },
            highlighted(state.text, ex.evidence)),
        ];
    return h("details", { class: "why", open }, h("summary", {}, t(`why_${lvl}`)), ...body);
  }

  function card(match, index, r) {
    const c = match.cluster;
    const name = pick(c.name);
    const lvl = level(match, r);
    const recommended = lvl === "recommended";
    const title = c.url ? h("a", { href: c.url, rel: "noopener", target: "_blank" }, name) : name;
    const note = lvl === "unassessed" ? t(`note_${unreadable(r)}`) : t(`note_${lvl}`);
    return h("li", { class: `match ${lvl}`, "data-cluster": c.id, "data-level": lvl },
      h("div", { class: "match-head" },
        h("h3", {}, title),
        h("span", { class: `badge ${lvl}` }, t(`level_${lvl}`))),
      scoreBar(match.score, t("confidence")),
      h("p", { class: "level-note" }, note),
      recommended || index === 0
        ? h("p", { class: "desc" }, pick(c.description))
        : h("details", { class: "about" }, h("summary", {}, t("about")), h("p", { class: "desc" }, pick(c.description))),
      c.url ? null : h("p", { class: "hint" }, t("noWebsite")),
      explanation(match, index === 0, lvl));
  }

  /** The answer in one line: the clusters it fits, none, or why we cannot say. */
  function verdict(r) {
    const names = r.decision.map(clusterName).join(", ");
    switch (unreadable(r)) {
      case "unclear": return h("p", { class: "unclear", "data-outcome": "unclear" }, t("unclear"));
      case "foreign": return h("p", { class: "foreign", "data-outcome": "foreign" },
        r.decision.length ? t("foreignGuess", { names }) : t("foreignNoGuess"));
      default: return h("p", { class: r.decision.length ? "fits" : "no-fit" }, r.decision.length ? t("fits", { names }) : t("noFit"));
    }
  }

  function render() {
    const r = state.result;
    if (!r) return;
    const lines = [verdict(r)];
    if (r.needs_review) lines.push(h("p", { class: "review" }, t("review", { reason: reasonText(r.review_reason, clusterName) })));
    $("decision").replaceChildren(...lines);
    $("matches").replaceChildren(...r.matches.map((m, i) => card(m, i, r)));
    $("results").hidden = false;
    $("send").hidden = false;
  }

  function announce(r) {
    const best = r.matches[0];
    if (unreadable(r)) $("announce").textContent = t("announceUnassessed");
    else $("announce").textContent = r.decision.length
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

  /** The error of the API in the interface language (see I18N.errorDetail). */
  async function messageFor(response) {
    if (response.status === 413) return t("errTooLong", { max: MAX_CHARS });
    return errorDetail(response);
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
      $("send-status").textContent = t("alreadySent", { ref: state.sent.ref });
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
        const { ref } = await response.json();
        state.sent = { text, contact, ref };
        $("send-status").textContent = t("sent", { ref });
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
