// The office view: the review queue from GET /v1/inquiries, and one-click decisions through
// POST /v1/inquiries/{id}/decision. The admin key stays in sessionStorage (this tab only).
(() => {
  "use strict";

  const { t, pick, h, scoreBar, reasonText, errorDetail } = window.I18N;
  const KEY = "cluster-matcher-admin-key";
  // saving: inquiries whose decision is on its way (their buttons stay disabled through any re-render);
  // loads: the number of the latest queue request, so an older answer arriving late is ignored.
  const state = { clusters: [], inquiries: [], status: "needs_review", saving: new Set(), loads: 0 };

  const $ = (id) => document.getElementById(id);

  function clusterName(id) {
    const c = state.clusters.find((x) => x.id === id);
    return c ? pick(c.name) : id;
  }

  function names(ids) {
    return ids.length ? ids.map(clusterName).join(", ") : t("noneFits");
  }

  async function api(path, options = {}) {
    const headers = { "X-API-Key": sessionStorage.getItem(KEY) || "", ...(options.headers || {}) };
    let response;
    try {
      response = await fetch(path, { ...options, headers });
    } catch {
      throw new Error(t("errNetwork"));
    }
    if (response.status === 401) {
      const detail = await errorDetail(response);
      sessionStorage.removeItem(KEY);
      showKeyForm(t("wrongKey", { detail }));
      throw new Error(detail);
    }
    if (!response.ok) throw new Error(await errorDetail(response));
    return response.json();
  }

  function showKeyForm(error = "") {
    $("key-form").hidden = false;
    $("queue").hidden = true;
    $("key-error").textContent = error;
    $("api-key").focus();
  }

  /** A problem the officer must see (the status line is for screen readers only). */
  function showProblem(message) {
    $("office-error").textContent = message ? t("errOffice", { detail: message }) : "";
  }

  /** Disable (or enable) the buttons of one inquiry's actions. */
  function markBusy(box, busy) {
    box.setAttribute("aria-busy", String(busy));
    box.querySelectorAll("button").forEach((b) => { b.disabled = busy; });
  }

  /** The same on the page, in place, keeping the officer's focus where it is. */
  function setBusy(id, busy) {
    const box = document.querySelector(`.inquiry[data-id="${id}"] .actions`);
    if (box) markBusy(box, busy);
  }

  async function decide(inquiry, clusters) {
    // One decision at a time per inquiry: its buttons wait while it is saved (a refit takes seconds).
    if (state.saving.has(inquiry.id)) return;
    state.saving.add(inquiry.id);
    setBusy(inquiry.id, true);
    showProblem("");
    $("office-status").textContent = t("saving", { id: inquiry.id });
    try {
      await api(`/v1/inquiries/${inquiry.id}/decision`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ clusters }),
      });
    } catch (err) {
      $("office-status").textContent = "";
      showProblem(err.message);
      return;
    } finally {
      state.saving.delete(inquiry.id);
      setBusy(inquiry.id, false);
    }
    if (state.status === "decided") {
      inquiry.officer_clusters = clusters;
      $("office-status").textContent = t("decidedAgain", { id: inquiry.id, names: names(clusters) });
    } else {
      state.inquiries = state.inquiries.filter((x) => x.id !== inquiry.id);
      $("office-status").textContent = t("decided", { id: inquiry.id, names: names(clusters) });
    }
    render();
    $("queue-count").focus();
  }

  function byRanking(inquiry, ids) {
    const place = (id) => { const i = inquiry.ranking.findIndex((r) => r.cluster === id); return i < 0 ? Infinity : i; };
    return [...ids].sort((a, b) => place(a) - place(b));
  }

  function actions(inquiry) {
    const several = h("fieldset", { class: "several" },
      h("legend", {}, t("several")),
      ...state.clusters.map((c) => h("label", { class: "check" },
        h("input", { type: "checkbox", value: c.id, checked: inquiry.decision.includes(c.id) }), pick(c.name))),
      h("button", { type: "button", onclick: (e) => {
        const checked = [...e.target.closest("fieldset").querySelectorAll("input:checked")].map((x) => x.value);
        if (!checked.length) { $("office-error").textContent = t("tickOne"); return; } // not "no cluster fits"
        decide(inquiry, byRanking(inquiry, checked)); // labels are stored best first
      } }, t("saveSeveral")));
    const box = h("div", { class: "actions" },
      h("button", { type: "button", class: "primary confirm", onclick: () => decide(inquiry, inquiry.decision) }, t("confirm")),
      h("p", { class: "route-label" }, t("routeTo")),
      h("div", { class: "route-buttons" },
        ...state.clusters.map((c) => h("button", { type: "button", "data-cluster": c.id, onclick: () => decide(inquiry, [c.id]) },
          t("routeOnly", { name: pick(c.name) }))),
        h("button", { type: "button", class: "none", "data-cluster": "", onclick: () => decide(inquiry, []) }, t("noCluster"))),
      h("details", {}, h("summary", {}, t("several")), several));
    markBusy(box, state.saving.has(inquiry.id));
    return box;
  }

  function item(inquiry) {
    const when = new Date(inquiry.created_at).toLocaleString(window.I18N.lang === "pl" ? "pl-PL" : "en-GB");
    const proposal = inquiry.decision.length ? t("proposed", { names: names(inquiry.decision) }) : t("proposedNone");
    return h("li", { class: "inquiry", "data-id": inquiry.id },
      h("article", { "aria-labelledby": `inq-${inquiry.id}` },
        h("h3", { id: `inq-${inquiry.id}` }, t("inquiry", { id: inquiry.id })),
        h("p", { class: "hint" }, t("received", { when }), " · ", inquiry.contact ? t("contact", { contact: inquiry.contact }) : t("noContact")),
        h("blockquote", { class: "profile-text", lang: inquiry.lang, tabindex: "0" }, inquiry.text),
        h("p", { class: "proposal" }, proposal,
          inquiry.decision.length && inquiry.review_reason ? ` (${reasonText(inquiry.review_reason, clusterName)})` : ""),
        inquiry.officer_clusters ? h("p", { class: "decided" }, t("decidedAs", { names: names(inquiry.officer_clusters) })) : null,
        h("ul", { class: "ranking" }, ...inquiry.ranking.slice(0, 3).map((r) => h("li", {}, scoreBar(r.score, clusterName(r.cluster))))),
        actions(inquiry)));
  }

  function render() {
    const list = state.inquiries;
    $("queue-count").textContent = list.length ? t("queueCount", { n: list.length }) : t("queueEmpty");
    $("inquiries").replaceChildren(...list.map(item));
  }

  /** Load the queue for ``status``; on failure the filter and the list stay as they were. */
  async function load(status = state.status, { focus = false } = {}) {
    const request = ++state.loads;
    $("office-status").textContent = t("loadingQueue");
    try {
      const [clusters, inquiries] = await Promise.all([
        api("/v1/clusters"),
        api(`/v1/inquiries?status=${encodeURIComponent(status)}`),
      ]);
      if (request !== state.loads) return; // a later load (another filter) has been asked for
      state.clusters = clusters.data;
      state.inquiries = inquiries.data;
      state.status = status;
    } catch (err) {
      if (request !== state.loads) return;
      $("office-status").textContent = "";
      $("status-filter").value = state.status;
      if ($("key-form").hidden) showProblem(err.message);
      else if (!$("key-error").textContent) $("key-error").textContent = t("errOffice", { detail: err.message });
      return;
    }
    $("key-form").hidden = true;
    $("queue").hidden = false;
    $("office-status").textContent = "";
    showProblem("");
    render();
    if (focus) $("queue-count").focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = $("api-key").value;
      $("key-error").textContent = "";
      sessionStorage.setItem(KEY, key);
      $("api-key").value = "";
      load(state.status, { focus: true });
    });
    $("forget-key").addEventListener("click", () => { sessionStorage.removeItem(KEY); state.inquiries = []; showKeyForm(); });
    $("status-filter").addEventListener("change", (e) => load(e.target.value));
    window.I18N.onChange(render);
    if (sessionStorage.getItem(KEY)) load(); else showKeyForm();
  });
})();
