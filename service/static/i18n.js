// Interface texts in English and Polish, the language switch, and small helpers both pages use.
// The chosen language is remembered in localStorage; the first visit follows the browser.
(() => {
  "use strict";

  const STRINGS = {
    en: {
      skip: "Skip to content",
      langGroup: "Interface language",
      title: "Cluster Matcher: which Pomeranian cluster fits your company?",
      heading: "Which Pomeranian cluster fits your company?",
      lead: "Describe what your company does in English or Polish. We compare it with the business clusters of the Pomorskie region and show which fit, how sure we are, and which of your sentences led there.",
      profileLabel: "Your company's profile",
      profileHint: "What you make or do, for whom, with which technologies. A few sentences are enough.",
      chars: "{n} of {max} characters",
      submit: "Find my cluster",
      working: "Matching your profile…",
      resultsHeading: "Results",
      fits: "Your profile fits: {names}.",
      noFit: "No cluster fits your profile well. That is a valid answer, not an error: the clusters and their scores are below, and the liaison office can still advise you.",
      review: "This result is uncertain ({reason}). A liaison officer can check it if you send it below.",
      announce: "Results ready. Best match: {name}, {score}.",
      announceNone: "Results ready. No cluster fits well.",
      recommended: "Recommended",
      confidence: "Confidence",
      website: "Website",
      noWebsite: "No website on record",
      why: "Why this cluster",
    about: "About this cluster",
      whyNone: "No passage of your profile points to this cluster more than to the others.",
      terms: "Matched topics",
      passages: "Your sentences that led here are highlighted:",
      passagesWeak: "Not recommended. The sentences closest to this cluster, though not close enough, are highlighted:",
      profileText: "Your profile with highlighted passages",
      sendHeading: "Ask the liaison office",
      sendLead: "Send your profile to the cluster liaison office. An officer checks the routing and puts you in touch with the cluster.",
      contactLabel: "Contact (e-mail or phone, optional)",
      send: "Send to the office",
      sent: "Thank you. Your inquiry number {id} has reached the liaison office.",
      alreadySent: "This profile has already been sent as inquiry number {id}.",
      errEmpty: "Please describe your company first.",
      errTooLong: "The profile is too long: at most {max} characters.",
      errLoading: "The service is still starting. Please try again in a few seconds.",
      errNetwork: "The service cannot be reached. Please try again.",
      errOther: "Something went wrong: {detail}",
      reasonLow: "low confidence",
      reasonClose: "a second cluster scores almost as high: {name}",
      reasonNone: "no cluster fits well enough",
      reasonUnclear: "the description does not say what the organisation makes or does",
      unclear: "We can't tell from this text what your organisation makes or does, so we cannot match it yet. Please add a sentence or two about your products, services or the work you do (for example: “we design ventilation for hospitals”), then match again.",
      reasonShort: "the profile is too short to judge",
      reasonForeign: "the profile is in neither English nor Polish (it reads as {lang})",
      officeLink: "Liaison office",
      apiLink: "API documentation",
      // office
      officeTitle: "Cluster Matcher: review queue",
      officeHeading: "Liaison office: review queue",
      keyLabel: "Admin key",
      keyHint: "Kept in this browser tab only, until you close it.",
      openQueue: "Open the queue",
      forgetKey: "Forget the key",
      statusLabel: "Show",
      status_needs_review: "Waiting for review",
      status_routed: "Routed automatically",
      status_decided: "Decided by an officer",
      queueCount: "Inquiries shown: {n}",
      queueEmpty: "Nothing waiting. Every inquiry has been handled.",
      inquiry: "Inquiry #{id}",
      received: "Received {when}",
      contact: "Contact: {contact}",
      noContact: "No contact given",
      proposed: "Proposed: {names}",
      proposedNone: "Proposed: no cluster fits",
      decidedAs: "Decided: {names}",
      noneFits: "no cluster fits",
      confirm: "Confirm proposal",
      routeTo: "Route to:",
      routeOnly: "{name}",
      noCluster: "No cluster fits",
      several: "Several clusters…",
      saveSeveral: "Route to the checked clusters",
      decided: "Inquiry #{id}: {names}. It has left the queue.",
      decidedAgain: "Inquiry #{id}: the decision is now {names}.",
      saving: "Saving the decision on inquiry #{id}…",
      tickOne: "Tick at least one cluster, or choose “No cluster fits”.",
      errOffice: "Not saved or not loaded: {detail}",
      wrongKey: "The key was refused: {detail}",
      loadingQueue: "Loading the queue…",
    },
    pl: {
      skip: "Przejdź do treści",
      langGroup: "Język interfejsu",
      title: "Cluster Matcher: który pomorski klaster pasuje do Twojej firmy?",
      heading: "Który pomorski klaster pasuje do Twojej firmy?",
      lead: "Opisz, czym zajmuje się Twoja firma, po polsku lub po angielsku. Porównamy opis z klastrami województwa pomorskiego i pokażemy, które pasują, jak bardzo jesteśmy pewni i które zdania o tym przesądziły.",
      profileLabel: "Opis Twojej firmy",
      profileHint: "Co wytwarzacie lub robicie, dla kogo, w jakich technologiach. Wystarczy kilka zdań.",
      chars: "{n} z {max} znaków",
      submit: "Znajdź mój klaster",
      working: "Dopasowujemy opis…",
      resultsHeading: "Wyniki",
      fits: "Twój opis pasuje do: {names}.",
      noFit: "Żaden klaster nie pasuje dobrze do Twojego opisu. To rzetelna odpowiedź, nie błąd: klastry i ich wyniki są poniżej, a biuro klastrów nadal może Ci doradzić.",
      review: "Ten wynik jest niepewny ({reason}). Opiekun klastrów może go sprawdzić, jeśli wyślesz zgłoszenie poniżej.",
      announce: "Wyniki gotowe. Najlepsze dopasowanie: {name}, {score}.",
      announceNone: "Wyniki gotowe. Żaden klaster nie pasuje dobrze.",
      recommended: "Polecany",
      confidence: "Pewność",
      website: "Strona",
      noWebsite: "Brak strony w katalogu",
      why: "Dlaczego ten klaster",
    about: "O tym klastrze",
      whyNone: "Żaden fragment opisu nie wskazuje na ten klaster bardziej niż na inne.",
      terms: "Pasujące tematy",
      passages: "Zdania, które o tym przesądziły, są zaznaczone:",
      passagesWeak: "Nie polecamy. Zaznaczone są zdania najbliższe temu klastrowi, choć nie dość bliskie:",
      profileText: "Twój opis z zaznaczonymi fragmentami",
      sendHeading: "Zapytaj biuro klastrów",
      sendLead: "Wyślij opis do biura obsługi klastrów. Opiekun sprawdzi dopasowanie i skontaktuje Cię z klastrem.",
      contactLabel: "Kontakt (e-mail lub telefon, opcjonalnie)",
      send: "Wyślij do biura",
      sent: "Dziękujemy. Zgłoszenie numer {id} trafiło do biura klastrów.",
      alreadySent: "Ten opis został już wysłany jako zgłoszenie numer {id}.",
      errEmpty: "Najpierw opisz swoją firmę.",
      errTooLong: "Opis jest za długi: najwyżej {max} znaków.",
      errLoading: "Usługa jeszcze się uruchamia. Spróbuj ponownie za kilka sekund.",
      errNetwork: "Nie można połączyć się z usługą. Spróbuj ponownie.",
      errOther: "Coś poszło nie tak: {detail}",
      reasonLow: "niska pewność",
      reasonClose: "drugi klaster ma prawie tak samo wysoki wynik: {name}",
      reasonNone: "żaden klaster nie pasuje wystarczająco",
      reasonUnclear: "opis nie mówi, co organizacja wytwarza lub robi",
      unclear: "Z tego tekstu nie wiemy, co Twoja organizacja wytwarza lub czym się zajmuje, więc nie możemy jeszcze jej dopasować. Dopisz proszę zdanie lub dwa o produktach, usługach albo pracy, którą wykonujecie (na przykład: „projektujemy wentylację dla szpitali”), i dopasuj ponownie.",
      reasonShort: "opis jest za krótki, by go ocenić",
      reasonForeign: "opis nie jest napisany ani po angielsku, ani po polsku",
      officeLink: "Biuro klastrów",
      apiLink: "Dokumentacja API",
      officeTitle: "Cluster Matcher: kolejka do przejrzenia",
      officeHeading: "Biuro klastrów: kolejka do przejrzenia",
      keyLabel: "Klucz administratora",
      keyHint: "Przechowywany tylko w tej karcie przeglądarki, do jej zamknięcia.",
      openQueue: "Otwórz kolejkę",
      forgetKey: "Zapomnij klucz",
      statusLabel: "Pokaż",
      status_needs_review: "Czekające na przegląd",
      status_routed: "Przydzielone automatycznie",
      status_decided: "Rozstrzygnięte przez opiekuna",
      queueCount: "Zgłoszenia: {n}",
      queueEmpty: "Nic nie czeka. Wszystkie zgłoszenia są obsłużone.",
      inquiry: "Zgłoszenie nr {id}",
      received: "Otrzymane {when}",
      contact: "Kontakt: {contact}",
      noContact: "Brak danych kontaktowych",
      proposed: "Propozycja: {names}",
      proposedNone: "Propozycja: żaden klaster nie pasuje",
      decidedAs: "Decyzja: {names}",
      noneFits: "żaden klaster nie pasuje",
      confirm: "Zatwierdź propozycję",
      routeTo: "Przydziel do:",
      routeOnly: "{name}",
      noCluster: "Żaden klaster nie pasuje",
      several: "Kilka klastrów…",
      saveSeveral: "Przydziel do zaznaczonych klastrów",
      decided: "Zgłoszenie nr {id}: {names}. Opuściło kolejkę.",
      decidedAgain: "Zgłoszenie nr {id}: decyzja zmieniona na: {names}.",
      saving: "Zapisujemy decyzję w sprawie zgłoszenia nr {id}…",
      tickOne: "Zaznacz co najmniej jeden klaster albo wybierz „Żaden klaster nie pasuje”.",
      errOffice: "Nie zapisano lub nie wczytano: {detail}",
      wrongKey: "Klucz odrzucony: {detail}",
      loadingQueue: "Wczytujemy kolejkę…",
    },
  };

  const LANG_KEY = "cluster-matcher-lang";
  const listeners = [];

  function initialLang() {
    const saved = window.localStorage.getItem(LANG_KEY);
    if (saved === "en" || saved === "pl") return saved;
    return (navigator.language || "").toLowerCase().startsWith("pl") ? "pl" : "en";
  }

  let current = initialLang();

  /** The text for `key` in the current language, with `{name}` placeholders filled from `vars`. */
  function t(key, vars = {}) {
    const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
  }

  /** Fill every element marked with data-i18n (text) or data-i18n-aria (aria-label). */
  function applyTexts(root = document) {
    root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    root.querySelectorAll("[data-i18n-aria]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.i18nAria)); });
    document.documentElement.lang = current;
    const title = document.querySelector("title[data-i18n]");
    if (title) document.title = t(title.dataset.i18n);
    document.querySelectorAll("[data-lang]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === current)));
  }

  function setLang(lang) {
    current = lang;
    window.localStorage.setItem(LANG_KEY, lang);
    applyTexts();
    listeners.forEach((fn) => fn(lang));
  }

  /** A cluster's name or description in the interface language (falls back to English). */
  function pick(texts) {
    return (texts && (texts[current] || texts.en)) || "";
  }

  function percent(score) {
    return `${Math.round(score * 100)}%`;
  }

  /** Create an element with attributes and children (strings become text nodes: never HTML). */
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  /** A score bar: the width is set through the CSSOM (the CSP forbids inline style attributes). */
  function scoreBar(score, label) {
    const fill = h("span", { class: "fill" });
    fill.style.width = percent(score);
    return h("div", { class: "score" },
      h("span", { class: "score-label" }, label),
      h("span", { class: "bar", "aria-hidden": "true" }, fill),
      h("span", { class: "pct" }, percent(score)));
  }

  /** The review reason of the API in the interface language. */
  function reasonText(reason, clusterName) {
    if (!reason) return "";
    if (reason.startsWith("low confidence")) return `${t("reasonLow")} ${reason.replace("low confidence", "").trim()}`;
    if (reason.startsWith("close second")) return t("reasonClose", { name: clusterName(reason.split(":").pop().trim()) });
    if (reason.startsWith("no cluster")) return t("reasonNone");
    if (reason.startsWith("too short")) return t("reasonShort");
    if (reason.startsWith("can't tell")) return t("reasonUnclear");
    if (reason.startsWith("written in neither")) return t("reasonForeign", { lang: (reason.match(/reads as ([^)]+)/) || [])[1] });
    return reason;
  }

  /** A readable message from an API error response (FastAPI's 422 lists, or {"detail": "..."}). */
  async function errorDetail(response) {
    try {
      const body = await response.json();
      if (Array.isArray(body.detail)) return body.detail.map((e) => e.msg).join("; ");
      return String(body.detail ?? response.statusText);
    } catch {
      return response.statusText || String(response.status);
    }
  }

  window.I18N = { t, applyTexts, setLang, pick, percent, h, scoreBar, reasonText, errorDetail,
    get lang() { return current; }, onChange(fn) { listeners.push(fn); } };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-lang]").forEach((b) => b.addEventListener("click", () => setLang(b.dataset.lang)));
    applyTexts();
  });
})();
