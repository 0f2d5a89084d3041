// The office view: the inquiries from GET /v1/inquiries (search, filters, pages), one-click decisions
// through POST /v1/inquiries/{id}/decision, the export (GET /v1/inquiries/export) and the dashboard
// (GET /v1/stats, drawn by charts.js). The admin key stays in sessionStorage (this tab only).
(() => {
  "use strict";

  const { t, pick, h, scoreBar, reasonText, errorDetail, percent, possible } = window.I18N;
  const KEY = "cluster-matcher-admin-key";
  const PAGE = 20;
  const NO_FIT = "none";
  const EMPTY_FILTERS = { status: "needs_review", q: "", cluster: "", lang: "", from: "", to: "" };
  // saving: inquiries whose decision is on its way (their buttons stay disabled through any re-render);
  // loads: the number of the latest request of a list or the dashboard, so an older answer arriving late is ignored.
  const state = {
    clusters: [], inquiries: [], total: 0, offset: 0, filters: { ...EMPTY_FILTERS },
    view: "queue", stats: null, weeks: 12, last: 200, saving: new Set(), loads: 0, statLoads: 0,
  };

  const $ = (id) => document.getElementById(id);

  function clusterName(id) {
    if (id === NO_FIT) return t("noneFits");
    const c = state.clusters.find((x) => x.id === id);
    return c ? pick(c.name) : id;
  }

  function names(ids) {
    return ids.length ? ids.map(clusterName).join(", ") : t("noneFits");
  }

  /** A refused key shows the key form with the reason; any other failure throws the message to show. */
  async function request(path, options = {}) {
    const headers = { "X-API-Key": sessionStorage.getItem(KEY) || "", ...(options.headers || {}) };
    let response;
    try {
      response = await fetch(path, { ...options, headers });
    } catch {
      throw new Error(t("errNetwork"));
    }
    if (response.status === 401) {
      const message = await errorDetail(response);
      sessionStorage.removeItem(KEY);
      showKeyForm(message);
      throw new Error(message);
    }
    if (!response.ok) throw new Error(await errorDetail(response));
    return response;
  }

  async function api(path, options = {}) {
    return (await request(path, options)).json();
  }

  function showKeyForm(error = "") {
    $("key-form").hidden = false;
    $("office").hidden = true;
    $("key-error").textContent = error;
    $("api-key").focus();
  }

  /** A problem the officer must see (the status line is for screen readers only). */
  function showProblem(message) {
    $("office-error").textContent = message ? t("errOffice", { detail: message }) : "";
  }

  // -- the filters ------------------------------------------------------------------------------

  /** The start of a local calendar day (``YYYY-MM-DD``) as an instant, or of the day after it. */
  function localDay(value, after = false) {
    const [y, m, d] = value.split("-").map(Number);
    return new Date(y, m - 1, d + (after ? 1 : 0)).toISOString();
  }

  /** The query of filters ``f`` (the officer's days are local days: sent as instants). */
  function filterParams(f = state.filters) {
    const params = new URLSearchParams();
    if (f.status) params.set("status", f.status);
    if (f.q.trim()) params.set("q", f.q.trim());
    if (f.cluster) params.set("cluster", f.cluster);
    if (f.lang) params.set("lang", f.lang);
    if (f.from) params.set("created_from", localDay(f.from));
    if (f.to) params.set("created_to", localDay(f.to, true));
    return params;
  }

  function readFilters() {
    return {
      status: $("status-filter").value, q: $("search").value, cluster: $("cluster-filter").value,
      lang: $("lang-filter").value, from: $("from-filter").value, to: $("to-filter").value,
    };
  }

  function showFilters(f) {
    $("status-filter").value = f.status;
    $("search").value = f.q;
    $("cluster-filter").value = f.cluster;
    $("lang-filter").value = f.lang;
    $("from-filter").value = f.from;
    $("to-filter").value = f.to;
  }

  function fillClusterOptions() {
    const select = $("cluster-filter");
    const chosen = select.value || state.filters.cluster;
    select.replaceChildren(
      h("option", { value: "" }, t("clusterAny")),
      ...state.clusters.map((c) => h("option", { value: c.id }, pick(c.name))),
      h("option", { value: NO_FIT }, t("clusterNone")));
    select.value = chosen;
  }

  function isFiltered() {
    const f = state.filters;
    return Boolean(f.q.trim() || f.cluster || f.lang || f.from || f.to);
  }

  // -- decisions --------------------------------------------------------------------------------

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
    // One decision at a time per inquiry: its buttons wait while it is saved.
    if (state.saving.has(inquiry.id)) return;
    state.saving.add(inquiry.id);
    setBusy(inquiry.id, true);
    showProblem("");
    $("office-status").textContent = t("saving", { id: inquiry.id });
    let saved;
    try {
      saved = await api(`/v1/inquiries/${inquiry.id}/decision`, {
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
    const leaves = state.filters.status === "needs_review" || state.filters.status === "routed";
    if (leaves) {
      state.inquiries = state.inquiries.filter((x) => x.id !== inquiry.id);
      state.total = Math.max(0, state.total - 1);
      $("office-status").textContent = t("decided", { id: inquiry.id, names: names(clusters) });
    } else {
      state.inquiries = state.inquiries.map((x) => (x.id === inquiry.id ? saved : x));
      $("office-status").textContent = t("decidedAgain", { id: inquiry.id, names: names(clusters) });
    }
    state.stats = null; // the dashboard reads the new decision next time
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

  /** The language an inquiry is filed under: "other" when it is in neither English nor Polish. */
  function languageOf(inquiry) {
    return window.I18N.isForeign(inquiry.review_reason) ? "other" : inquiry.lang;
  }

  /** The matcher's best clusters: each score, and its explanation's summary in the interface's
   * language; an unlikely cluster says so rather than quote the passage that led elsewhere. */
  function scores(inquiry) {
    const why = (r) => {
      if (!inquiry.decision.includes(r.cluster) && !possible(r.score)) {
        return h("p", { class: "explanation unlikely" }, t("summaryUnlikely"));
      }
      return r.summary
        ? h("p", { class: "explanation", lang: inquiry.lang }, pick(r.summary))
        : h("p", { class: "explanation missing" }, t("noSummary"));
    };
    return h("div", { class: "scores" },
      h("h4", {}, t("scoresHeading")),
      h("ul", { class: "ranking" }, ...inquiry.ranking.slice(0, 3).map((r) => h("li", { "data-cluster": r.cluster },
        scoreBar(r.score, clusterName(r.cluster)), why(r)))));
  }

  function item(inquiry) {
    const when = new Date(inquiry.created_at).toLocaleString(window.I18N.lang === "pl" ? "pl-PL" : "en-GB");
    const proposal = inquiry.decision.length ? t("proposed", { names: names(inquiry.decision) }) : t("proposedNone");
    return h("li", { class: "inquiry", "data-id": inquiry.id, "data-status": inquiry.status },
      h("article", { "aria-labelledby": `inq-${inquiry.id}` },
        h("h3", { id: `inq-${inquiry.id}` }, t("inquiry", { id: inquiry.id })),
        h("p", { class: "hint" }, t("received", { when }), " · ",
          inquiry.contact ? t("contact", { contact: inquiry.contact }) : t("noContact"), " · ",
          t("language", { lang: t(`lang_${languageOf(inquiry)}`) })),
        h("blockquote", { class: "profile-text", lang: inquiry.lang, tabindex: "0" }, inquiry.text),
        h("p", { class: "proposal" }, proposal),
        inquiry.review_reason
          ? h("p", { class: "reason" }, t("reviewReason", { reason: reasonText(inquiry.review_reason, clusterName) }))
          : null,
        inquiry.officer_clusters ? h("p", { class: "decided" }, t("decidedAs", { names: names(inquiry.officer_clusters) })) : null,
        scores(inquiry),
        actions(inquiry)));
  }

  function render() {
    const list = state.inquiries;
    let heading;
    if (!state.total) heading = isFiltered() || state.filters.status !== "needs_review" ? t("noMatches") : t("queueEmpty");
    else heading = t("queueRange", { from: state.offset + 1, to: state.offset + list.length, total: state.total });
    $("queue-count").textContent = heading;
    $("inquiries").replaceChildren(...list.map(item));
    const pages = Math.max(1, Math.ceil(state.total / PAGE));
    $("page-info").textContent = t("pageInfo", { page: Math.floor(state.offset / PAGE) + 1, pages });
    $("prev-page").disabled = state.offset === 0;
    $("next-page").disabled = state.offset + list.length >= state.total;
    fillClusterOptions();
  }

  /** Load a page of inquiries with ``filters``; on failure the filters and the list stay as they were. */
  async function load(filters = state.filters, offset = 0, { focus = false } = {}) {
    if (filters.from && filters.to && filters.from > filters.to) { // ISO days compare as text
      $("office-error").textContent = t("errDateRange");
      return;
    }
    const ticket = ++state.loads;
    $("office-status").textContent = t("loadingQueue");
    $("queue").setAttribute("aria-busy", "true"); // until the latest list asked for is shown (or failed)
    const params = filterParams(filters);
    params.set("limit", String(PAGE));
    params.set("offset", String(offset));
    try {
      const [clusters, page] = await Promise.all([api("/v1/clusters"), api(`/v1/inquiries?${params}`)]);
      if (ticket !== state.loads) return; // a later load (other filters) has been asked for
      state.clusters = clusters.data;
      state.inquiries = page.data;
      state.total = page.total;
      state.offset = offset;
      state.filters = filters;
    } catch (err) {
      if (ticket !== state.loads) return;
      $("queue").setAttribute("aria-busy", "false");
      $("office-status").textContent = "";
      showFilters(state.filters);
      if ($("key-form").hidden) showProblem(err.message);
      else if (!$("key-error").textContent) $("key-error").textContent = err.message;
      return;
    }
    $("key-form").hidden = true;
    $("office").hidden = false;
    $("office-status").textContent = "";
    showProblem("");
    render();
    $("queue").setAttribute("aria-busy", "false");
    if (focus) $("queue-count").focus();
  }

  // -- export -----------------------------------------------------------------------------------

  /** Download the list the filters select (every page of it) as CSV or .xlsx. */
  async function exportAs(format) {
    const params = filterParams();
    params.set("format", format);
    params.set("names", window.I18N.lang);
    showProblem("");
    $("office-status").textContent = t("exporting");
    try {
      const response = await request(`/v1/inquiries/export?${params}`);
      const blob = await response.blob();
      const disposition = response.headers.get("Content-Disposition") || "";
      const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || `inquiries.${format}`;
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      $("office-status").textContent = t("exported", { name });
    } catch (err) {
      $("office-status").textContent = "";
      showProblem(err.message);
    }
  }

  // -- the dashboard ----------------------------------------------------------------------------

  function weekLabel(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(y, m - 1, d).toLocaleDateString(window.I18N.lang === "pl" ? "pl-PL" : "en-GB", { day: "numeric", month: "short" });
  }

  const count = (n) => String(n);
  const share = (x) => (x === null || x === undefined ? "–" : percent(x));

  function figure(name, title, description, chart, legendNames, headers, rows) {
    return h("figure", { class: "chart-box", "data-figure": name },
      h("figcaption", {}, h("strong", {}, title), description ? h("span", { class: "hint" }, description) : null),
      chart,
      legendNames ? window.Charts.legend(legendNames) : null,
      h("details", { class: "numbers-box" }, h("summary", {}, t("showNumbers")), window.Charts.table(headers, rows)));
  }

  function drawDashboard() {
    const st = state.stats;
    if (!st) return;
    const C = window.Charts;
    const weeks = st.weeks.map((w) => weekLabel(w.week));
    const routed = st.weeks.map((w) => w.inquiries - w.needs_review);
    const review = st.weeks.map((w) => w.needs_review);
    const all = st.agreement[0];
    $("dash-summary").replaceChildren(
      h("p", {}, st.inquiries
        ? t("dashSummary", { total: st.inquiries, weeks: st.weeks.length, share: share(st.review_share) })
        : t("dashSummaryNone", { weeks: st.weeks.length })),
      h("p", {}, all.decisions
        ? t("dashAgreement", { agreed: all.agreed, n: all.decisions, share: share(all.accuracy) })
        : t("dashAgreementNone")));

    const clusters = st.clusters.filter((c) => c.matcher || c.officer || c.cluster !== NO_FIT);
    const clusterLabels = clusters.map((c) => clusterName(c.cluster));
    const langs = st.agreement.map((a) => t(`short_${a.lang}`));
    const bands = st.calibration.map((b) => `${Math.round(b.low * 100)}–${Math.round(b.high * 100)}%`);
    $("charts").replaceChildren(
      figure("weeks", t("chartWeeks"), t("chartWeeksDesc"),
        C.columns({ name: "weeks", label: t("chartWeeks"), labels: weeks, stacked: true, format: count,
          series: [{ name: t("seriesRouted"), values: routed }, { name: t("seriesReview"), values: review }] }),
        [t("seriesRouted"), t("seriesReview")],
        [t("week"), t("seriesRouted"), t("seriesReview")],
        st.weeks.map((w, i) => [weeks[i], routed[i], review[i]])),
      figure("review", t("chartReview"), null,
        C.line({ name: "review", label: t("chartReview"), labels: weeks, serie: t("seriesShare"),
          values: st.weeks.map((w) => w.review_share), format: share }),
        null,
        [t("week"), t("seriesShare")],
        st.weeks.map((w, i) => [weeks[i], share(w.review_share)])),
      figure("clusters", t("chartClusters"), t("chartClustersDesc"),
        C.rows({ name: "clusters", label: t("chartClusters"), labels: clusterLabels, format: count,
          series: [{ name: t("seriesMatcher"), values: clusters.map((c) => c.matcher) },
            { name: t("seriesOfficer"), values: clusters.map((c) => c.officer) }] }),
        [t("seriesMatcher"), t("seriesOfficer")],
        [t("clusterLabel"), t("seriesMatcher"), t("seriesOfficer")],
        clusters.map((c, i) => [clusterLabels[i], c.matcher, c.officer])),
      figure("agreement", t("chartAgreement"), t("chartAgreementDesc", { n: st.last }),
        C.columns({ name: "agreement", label: t("chartAgreement"), share: true, format: share,
          labels: langs.map((l, i) => `${l} (${st.agreement[i].decisions})`),
          series: [{ name: t("seriesAgreement"), values: st.agreement.map((a) => a.accuracy) }] }),
        null,
        [t("langLabel"), t("seriesAgreement"), t("decisionsHeader")],
        st.agreement.map((a, i) => [langs[i], share(a.accuracy), a.decisions])),
      figure("calibration", t("chartCalibration"), t("chartCalibrationDesc"),
        C.columns({ name: "calibration", label: t("chartCalibration"), share: true, format: share, labels: bands,
          series: [{ name: t("seriesMeanScore"), values: st.calibration.map((b) => b.mean_score) },
            { name: t("seriesAcceptance"), values: st.calibration.map((b) => b.acceptance) }] }),
        [t("seriesMeanScore"), t("seriesAcceptance")],
        [t("band"), t("seriesMeanScore"), t("seriesAcceptance"), t("pairsHeader")],
        st.calibration.map((b, i) => [bands[i], share(b.mean_score), share(b.acceptance), b.pairs])));
  }

  function fillDashboardOptions() {
    const options = (select, values, key, chosen) => {
      select.replaceChildren(...values.map((n) => h("option", { value: n }, t(key, { n }))));
      select.value = String(chosen);
    };
    options($("dash-weeks"), [4, 12, 26, 52], "dashWeeksN", state.weeks);
    options($("dash-last"), [50, 200, 1000], "dashLastN", state.last);
  }

  async function loadStats() {
    const ticket = ++state.statLoads;
    $("office-status").textContent = t("loadingStats");
    try {
      const stats = await api(`/v1/stats?weeks=${state.weeks}&last=${state.last}`);
      if (ticket !== state.statLoads) return;
      state.stats = stats;
    } catch (err) {
      if (ticket !== state.statLoads) return;
      $("office-status").textContent = "";
      showProblem(err.message);
      return;
    }
    $("office-status").textContent = "";
    showProblem("");
    drawDashboard();
  }

  function showView(view, { focus = false } = {}) {
    state.view = view;
    $("queue").hidden = view !== "queue";
    $("dashboard").hidden = view !== "dashboard";
    document.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === view)));
    const path = view === "dashboard" ? "/office/dashboard" : "/office";
    if (window.location.pathname !== path) window.history.replaceState(null, "", path);
    if (view === "dashboard") {
      fillDashboardOptions();
      if (state.stats) drawDashboard();
      loadStats();
      if (focus) $("dashboard-heading").focus();
    } else if (focus) {
      $("queue-count").focus();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = $("api-key").value;
      $("key-error").textContent = "";
      sessionStorage.setItem(KEY, key);
      $("api-key").value = "";
      load(state.filters, 0, { focus: true }).then(() => { if (!$("office").hidden) showView(state.view); });
    });
    $("forget-key").addEventListener("click", () => { sessionStorage.removeItem(KEY); state.inquiries = []; state.stats = null; showKeyForm(); });
    $("filters").addEventListener("submit", (event) => { event.preventDefault(); load(readFilters(), 0); });
    for (const id of ["status-filter", "cluster-filter", "lang-filter", "from-filter", "to-filter"]) {
      $(id).addEventListener("change", () => load(readFilters(), 0));
    }
    $("clear-filters").addEventListener("click", () => { showFilters(EMPTY_FILTERS); load({ ...EMPTY_FILTERS }, 0); });
    $("prev-page").addEventListener("click", () => load(state.filters, Math.max(0, state.offset - PAGE), { focus: true }));
    $("next-page").addEventListener("click", () => load(state.filters, state.offset + PAGE, { focus: true }));
    document.querySelectorAll("[data-format]").forEach((b) => b.addEventListener("click", () => exportAs(b.dataset.format)));
    document.querySelectorAll("[data-view]").forEach((b) => b.addEventListener("click", () => showView(b.dataset.view, { focus: true })));
    $("dash-weeks").addEventListener("change", (e) => { state.weeks = Number(e.target.value); loadStats(); });
    $("dash-last").addEventListener("change", (e) => { state.last = Number(e.target.value); loadStats(); });
    window.I18N.onChange(() => {
      render();
      if (state.view === "dashboard") { fillDashboardOptions(); drawDashboard(); }
    });
    state.view = window.location.pathname.endsWith("/dashboard") ? "dashboard" : "queue";
    if (sessionStorage.getItem(KEY)) {
      load().then(() => { if (!$("office").hidden) showView(state.view); });
    } else {
      showKeyForm();
    }
  });
})();
