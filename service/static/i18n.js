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
      level_recommended: "Recommended",
      level_possible: "Also possible",
      level_unlikely: "Unlikely",
      level_unassessed: "No recommendation",
      note_recommended: "A good fit: the liaison office would most likely route you here.",
      note_possible: "Could fit as well, but not likely enough for us to recommend it.",
      note_unlikely: "Probably not a fit for your company.",
      note_foreign: "We read only English and Polish, so this score is a guess and not a recommendation.",
      note_unclear: "Your text does not say what your organisation makes or does, so we recommend nothing yet.",
      announceUnassessed: "Results ready. We cannot recommend a cluster for this text.",
      foreignGuess: "We cannot recommend a cluster: your text is in neither English nor Polish. Our best guess would be {names}. Please describe your company in English or Polish, or send the text to the liaison office.",
      foreignNoGuess: "We cannot recommend a cluster: your text is in neither English nor Polish. Please describe your company in English or Polish, or send the text to the liaison office.",
      confidence: "Confidence",
      website: "Website",
      noWebsite: "No website on record",
      why: "Why this cluster",
      why_recommended: "Why this cluster",
      why_possible: "Why it might fit",
      why_unlikely: "Why it is unlikely",
      why_unassessed: "What we found in your text",
      about: "About this cluster",
      whyNone: "No passage of your profile points to this cluster more than to the others.",
      whyNoneRecommended: "No single sentence decides it: your profile as a whole points to this cluster.",
      codes: "Activity codes you cite that point here",
      terms: "Matched topics",
      passages: "Your sentences that led here are highlighted:",
      passagesPossible: "These sentences point towards this cluster, though less strongly than we need to recommend it:",
      passagesWeak: "Not recommended. The sentences closest to this cluster, though not close enough, are highlighted:",
      passagesUnassessed: "Not a recommendation: we cannot judge this text. The sentences closest to this cluster are highlighted:",
      profileText: "Your profile with highlighted passages",
      sendHeading: "Ask the liaison office",
      sendLead: "Send your profile to the cluster liaison office. An officer checks the routing and puts you in touch with the cluster.",
      contactLabel: "Contact (e-mail or phone, optional)",
      send: "Send to the office",
      sent: "Thank you. Your inquiry, reference {ref}, has reached the liaison office.",
      alreadySent: "This profile has already been sent as inquiry reference {ref}.",
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
      reasonForeignUnknown: "the profile is in neither English nor Polish",
      officeLink: "Liaison office",
      apiLink: "API documentation",
      // office
      officeTitle: "Cluster Matcher: liaison office",
      officeHeading: "Liaison office",
      keyLabel: "Admin key",
      keyHint: "Kept in this browser tab only, until you close it.",
      openQueue: "Open the queue",
      forgetKey: "Forget the key",
      statusLabel: "Show",
      status_all: "All inquiries",
      status_needs_review: "Waiting for review",
      status_routed: "Routed automatically",
      status_decided: "Decided by an officer",
      queueCount: "Inquiries shown: {n}",
      queueRange: "Inquiries {from}–{to} of {total}",
      queueEmpty: "Nothing waiting. Every inquiry has been handled.",
      noMatches: "No inquiry matches these filters.",
      viewsLabel: "Office views",
      viewQueue: "Inquiries",
      viewDashboard: "Dashboard",
      filtersLabel: "Find inquiries",
      searchLabel: "Search text or contact",
      clusterLabel: "Cluster",
      clusterAny: "Any cluster",
      clusterNone: "No cluster fits",
      clusterHint: "The matcher's first cluster or one of the officer's.",
      langLabel: "Language",
      langAny: "Any language",
      lang_en: "English",
      lang_pl: "Polish",
      lang_other: "Neither (another language)",
      fromLabel: "Received from",
      toLabel: "Received until",
      applyFilters: "Search",
      clearFilters: "Clear filters",
      exportLabel: "Download this list:",
      exportCsv: "CSV for Excel",
      exportXlsx: "Excel workbook (.xlsx)",
      exporting: "Preparing the file…",
      exported: "Downloaded {name}.",
      prevPage: "Previous page",
      nextPage: "Next page",
      pageInfo: "Page {page} of {pages}",
      paging: "Paging",
      language: "Language: {lang}",
      reviewReason: "Set aside for review because {reason}.",
      scoresHeading: "The matcher's scores and why",
      noSummary: "No explanation was stored for this cluster.",
      summaryUnlikely: "Unlikely (under 20%): the text gives too little reason to propose this cluster.",
      dashboardHeading: "Dashboard",
      dashWeeks: "Period",
      dashWeeksN: "last {n} weeks",
      dashLast: "Agreement over",
      dashLastN: "the last {n} decisions",
      dashRefresh: "Refresh",
      loadingStats: "Loading the dashboard…",
      dashSummary: "{total} inquiries in the last {weeks} weeks; {share} of them were set aside for review.",
      dashSummaryNone: "No inquiries in the last {weeks} weeks.",
      dashAgreement: "Officers kept the matcher's routing in {agreed} of the last {n} decisions ({share}).",
      dashAgreementNone: "No officer has decided an inquiry yet, so there is no agreement to show.",
      chartWeeks: "Inquiries per week",
      chartWeeksDesc: "Each bar is a week (from its Monday): routed automatically and set aside for review.",
      chartReview: "Share set aside for review, per week",
      chartClusters: "Inquiries per cluster",
      chartClustersDesc: "The matcher's first cluster for every inquiry, and the officer's first cluster for those decided.",
      chartAgreement: "How often officers agree with the matcher",
      chartAgreementDesc: "Over the last {n} decisions: the matcher's first cluster among the officer's, or both found none fits.",
      chartCalibration: "Scores against officers' decisions",
      chartCalibrationDesc: "For each score band: the matcher's mean score and how often officers accepted the cluster. Close bars mean the scores can be trusted as probabilities.",
      seriesRouted: "Routed automatically",
      seriesReview: "Set aside for review",
      seriesShare: "Share set aside",
      seriesMatcher: "Matcher's first cluster",
      seriesOfficer: "Officer's decision",
      seriesAgreement: "Agreement",
      seriesMeanScore: "Mean score",
      seriesAcceptance: "Accepted by officers",
      short_all: "All",
      short_en: "English",
      short_pl: "Polish",
      short_other: "Other",
      decisionsHeader: "Decisions",
      pairsHeader: "Cluster scores",
      showNumbers: "Show the numbers",
      week: "Week",
      band: "Score band",
      noData: "No data yet.",
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
      loadingQueue: "Loading the queue…",
      // messages for the API's errors
      errKeyWrong: "The key was refused: it is not this service's admin key.",
      errKeyMissing: "The key was refused: please enter the admin key.",
      errAdminOff: "The office is switched off on this server: it has no admin key set (MATCHER_API_KEY).",
      errTooMany: "Too many requests. Please wait {seconds} seconds and try again.",
      errNoInquiry: "Inquiry #{id} does not exist (any more).",
      errNotFound: "Not found.",
      errConflict: "That change is not possible now.",
      errBodyTooLarge: "What you sent is too large.",
      errUnknownCluster: "The cluster “{id}” is not in the catalogue.",
      errNoneWithCluster: "“No cluster fits” cannot be chosen together with a cluster.",
      errDateRange: "The end of the date range must come after its start.",
      errField: "Please check this field: {field}.",
      errInvalid: "The service could not accept this request.",
      errServer: "The service failed (error {status}). Please try again later.",
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
      level_recommended: "Polecany",
      level_possible: "Też możliwy",
      level_unlikely: "Mało prawdopodobny",
      level_unassessed: "Bez rekomendacji",
      note_recommended: "Dobre dopasowanie: biuro klastrów najpewniej skieruje Cię właśnie tutaj.",
      note_possible: "Może też pasować, ale nie na tyle, byśmy go polecali.",
      note_unlikely: "Raczej nie pasuje do Twojej firmy.",
      note_foreign: "Czytamy tylko teksty po polsku i po angielsku, więc ten wynik to przypuszczenie, nie rekomendacja.",
      note_unclear: "Z opisu nie wynika, co Twoja organizacja wytwarza lub robi, więc na razie niczego nie polecamy.",
      announceUnassessed: "Wyniki gotowe. Dla tego tekstu nie możemy polecić klastra.",
      foreignGuess: "Nie możemy polecić klastra: tekst nie jest napisany ani po polsku, ani po angielsku. Najbliżej byłoby do: {names}. Opisz firmę po polsku lub po angielsku albo wyślij tekst do biura klastrów.",
      foreignNoGuess: "Nie możemy polecić klastra: tekst nie jest napisany ani po polsku, ani po angielsku. Opisz firmę po polsku lub po angielsku albo wyślij tekst do biura klastrów.",
      confidence: "Pewność",
      website: "Strona",
      noWebsite: "Brak strony w katalogu",
      why: "Dlaczego ten klaster",
      why_recommended: "Dlaczego ten klaster",
      why_possible: "Dlaczego może pasować",
      why_unlikely: "Dlaczego raczej nie pasuje",
      why_unassessed: "Co znaleźliśmy w tekście",
      about: "O tym klastrze",
      whyNone: "Żaden fragment opisu nie wskazuje na ten klaster bardziej niż na inne.",
      whyNoneRecommended: "Nie przesądza o tym jedno zdanie: na ten klaster wskazuje opis jako całość.",
      codes: "Podane kody działalności, które tu wskazują",
      terms: "Pasujące tematy",
      passages: "Zdania, które o tym przesądziły, są zaznaczone:",
      passagesPossible: "Te zdania wskazują na ten klaster, choć słabiej, niż potrzeba, byśmy go polecili:",
      passagesWeak: "Nie polecamy. Zaznaczone są zdania najbliższe temu klastrowi, choć nie dość bliskie:",
      passagesUnassessed: "To nie jest rekomendacja: nie potrafimy ocenić tego tekstu. Zaznaczone są zdania najbliższe temu klastrowi:",
      profileText: "Twój opis z zaznaczonymi fragmentami",
      sendHeading: "Zapytaj biuro klastrów",
      sendLead: "Wyślij opis do biura obsługi klastrów. Opiekun sprawdzi dopasowanie i skontaktuje Cię z klastrem.",
      contactLabel: "Kontakt (e-mail lub telefon, opcjonalnie)",
      send: "Wyślij do biura",
      sent: "Dziękujemy. Zgłoszenie o sygnaturze {ref} trafiło do biura klastrów.",
      alreadySent: "Ten opis został już wysłany jako zgłoszenie o sygnaturze {ref}.",
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
      reasonForeign: "opis nie jest napisany ani po angielsku, ani po polsku (to chyba język {lang})",
      reasonForeignUnknown: "opis nie jest napisany ani po angielsku, ani po polsku",
      officeLink: "Biuro klastrów",
      apiLink: "Dokumentacja API",
      officeTitle: "Cluster Matcher: biuro klastrów",
      officeHeading: "Biuro klastrów",
      keyLabel: "Klucz administratora",
      keyHint: "Przechowywany tylko w tej karcie przeglądarki, do jej zamknięcia.",
      openQueue: "Otwórz kolejkę",
      forgetKey: "Zapomnij klucz",
      statusLabel: "Pokaż",
      status_all: "Wszystkie zgłoszenia",
      status_needs_review: "Czekające na przegląd",
      status_routed: "Przydzielone automatycznie",
      status_decided: "Rozstrzygnięte przez opiekuna",
      queueCount: "Zgłoszenia: {n}",
      queueRange: "Zgłoszenia {from}–{to} z {total}",
      queueEmpty: "Nic nie czeka. Wszystkie zgłoszenia są obsłużone.",
      noMatches: "Żadne zgłoszenie nie spełnia tych warunków.",
      viewsLabel: "Widoki biura",
      viewQueue: "Zgłoszenia",
      viewDashboard: "Pulpit",
      filtersLabel: "Szukaj zgłoszeń",
      searchLabel: "Szukaj w treści lub kontakcie",
      clusterLabel: "Klaster",
      clusterAny: "Dowolny klaster",
      clusterNone: "Żaden klaster nie pasuje",
      clusterHint: "Pierwszy klaster dopasowania albo jeden z klastrów opiekuna.",
      langLabel: "Język",
      langAny: "Dowolny język",
      lang_en: "angielski",
      lang_pl: "polski",
      lang_other: "inny (ani polski, ani angielski)",
      fromLabel: "Otrzymane od",
      toLabel: "Otrzymane do",
      applyFilters: "Szukaj",
      clearFilters: "Wyczyść filtry",
      exportLabel: "Pobierz tę listę:",
      exportCsv: "CSV dla Excela",
      exportXlsx: "Skoroszyt Excela (.xlsx)",
      exporting: "Przygotowujemy plik…",
      exported: "Pobrano plik {name}.",
      prevPage: "Poprzednia strona",
      nextPage: "Następna strona",
      pageInfo: "Strona {page} z {pages}",
      paging: "Stronicowanie",
      language: "Język: {lang}",
      reviewReason: "Odłożone do przeglądu, ponieważ {reason}.",
      scoresHeading: "Wyniki dopasowania i ich uzasadnienie",
      noSummary: "Dla tego klastra nie zapisano uzasadnienia.",
      summaryUnlikely: "Mało prawdopodobny (poniżej 20%): tekst daje za mało powodów, by proponować ten klaster.",
      dashboardHeading: "Pulpit",
      dashWeeks: "Okres",
      dashWeeksN: "ostatnie tygodnie: {n}",
      dashLast: "Zgodność liczona z",
      dashLastN: "ostatnich {n} decyzji",
      dashRefresh: "Odśwież",
      loadingStats: "Wczytujemy pulpit…",
      dashSummary: "Zgłoszenia w ostatnich {weeks} tygodniach: {total}; do przeglądu odłożono {share} z nich.",
      dashSummaryNone: "Brak zgłoszeń w ostatnich {weeks} tygodniach.",
      dashAgreement: "Opiekunowie utrzymali przydział w {agreed} z {n} ostatnich decyzji ({share}).",
      dashAgreementNone: "Opiekunowie nie rozstrzygnęli jeszcze żadnego zgłoszenia, więc nie ma czego porównać.",
      chartWeeks: "Zgłoszenia w kolejnych tygodniach",
      chartWeeksDesc: "Każdy słupek to tydzień (od poniedziałku): przydzielone automatycznie i odłożone do przeglądu.",
      chartReview: "Odsetek odłożonych do przeglądu, tydzień po tygodniu",
      chartClusters: "Zgłoszenia według klastrów",
      chartClustersDesc: "Pierwszy klaster dopasowania każdego zgłoszenia i pierwszy klaster opiekuna dla rozstrzygniętych.",
      chartAgreement: "Jak często opiekunowie zgadzają się z dopasowaniem",
      chartAgreementDesc: "Z {n} ostatnich decyzji: pierwszy klaster dopasowania jest wśród klastrów opiekuna albo obaj uznali, że żaden nie pasuje.",
      chartCalibration: "Wyniki a decyzje opiekunów",
      chartCalibrationDesc: "Dla każdego przedziału wyników: średni wynik dopasowania i jak często opiekunowie przyjęli klaster. Bliskie słupki oznaczają, że wyniki można czytać jak prawdopodobieństwa.",
      seriesRouted: "Przydzielone automatycznie",
      seriesReview: "Odłożone do przeglądu",
      seriesShare: "Odsetek odłożonych",
      seriesMatcher: "Pierwszy klaster dopasowania",
      seriesOfficer: "Decyzja opiekuna",
      seriesAgreement: "Zgodność",
      seriesMeanScore: "Średni wynik",
      seriesAcceptance: "Przyjęte przez opiekunów",
      short_all: "Wszystkie",
      short_en: "angielski",
      short_pl: "polski",
      short_other: "inne",
      decisionsHeader: "Decyzje",
      pairsHeader: "Wyniki klastrów",
      showNumbers: "Pokaż liczby",
      week: "Tydzień",
      band: "Przedział wyników",
      noData: "Na razie brak danych.",
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
      loadingQueue: "Wczytujemy kolejkę…",
      errKeyWrong: "Klucz odrzucony: to nie jest klucz administratora tej usługi.",
      errKeyMissing: "Klucz odrzucony: wpisz klucz administratora.",
      errAdminOff: "Biuro jest na tym serwerze wyłączone: nie ustawiono klucza administratora (MATCHER_API_KEY).",
      errTooMany: "Zbyt wiele zapytań. Odczekaj {seconds} s i spróbuj ponownie.",
      errNoInquiry: "Zgłoszenie nr {id} nie istnieje (już).",
      errNotFound: "Nie znaleziono.",
      errConflict: "Ta zmiana nie jest teraz możliwa.",
      errBodyTooLarge: "Wysłane dane są zbyt duże.",
      errUnknownCluster: "Klastra „{id}” nie ma w katalogu.",
      errNoneWithCluster: "Opcji „żaden klaster nie pasuje” nie można wybrać razem z klastrem.",
      errDateRange: "Koniec zakresu dat musi przypadać po jego początku.",
      errField: "Sprawdź to pole: {field}.",
      errInvalid: "Usługa nie mogła przyjąć tego zapytania.",
      errServer: "Wystąpił błąd usługi ({status}). Spróbuj ponownie później.",
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

  // A cluster left out of the decision is "also possible" from this score on, "unlikely" below it
  // (the scores are calibrated probabilities; every cluster from 0.5 on is in the decision).
  const POSSIBLE_FROM = 0.2;

  /** Whether a score is "also possible" as it is shown: 0.1996 reads 20%, so it is. */
  function possible(score) {
    return Math.round(score * 100) >= Math.round(POSSIBLE_FROM * 100);
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

  // The names of the languages the matcher names in its reasons (matcher.text), in Polish: "język {name}".
  const LANGUAGE_PL = {
    Belarusian: "białoruski", Czech: "czeski", Danish: "duński", German: "niemiecki", Spanish: "hiszpański",
    Estonian: "estoński", Finnish: "fiński", French: "francuski", Italian: "włoski", Latin: "łaciński",
    Lithuanian: "litewski", Latvian: "łotewski", Dutch: "niderlandzki", Norwegian: "norweski",
    Portuguese: "portugalski", Russian: "rosyjski", Slovak: "słowacki", Swedish: "szwedzki", Ukrainian: "ukraiński",
  };

  /** The review reason of the API in the interface language. */
  function reasonText(reason, clusterName) {
    if (!reason) return "";
    if (reason.startsWith("low confidence")) {
      const score = parseFloat((reason.match(/\(([\d.]+)\)/) || [])[1]);
      return Number.isFinite(score) ? `${t("reasonLow")} (${percent(score)})` : t("reasonLow");
    }
    if (reason.startsWith("close second")) return t("reasonClose", { name: clusterName(reason.split(":").pop().trim()) });
    if (reason.startsWith("no cluster")) return t("reasonNone");
    if (reason.startsWith("too short")) return t("reasonShort");
    if (reason.startsWith("can't tell")) return t("reasonUnclear");
    if (reason.startsWith("written in neither")) {
      const lang = (reason.match(/reads as ([^)]+)/) || [])[1];
      if (!lang) return t("reasonForeignUnknown");
      return t("reasonForeign", { lang: current === "pl" ? (LANGUAGE_PL[lang] || lang) : lang });
    }
    return reason;
  }

  /** Whether the review reason says the text is in neither English nor Polish. */
  function isForeign(reason) {
    return Boolean(reason) && reason.startsWith("written in neither");
  }

  // The interface's name of a field an API error points at (its last name in "loc").
  const FIELD_KEYS = {
    text: "profileLabel", contact: "contactLabel", q: "searchLabel", status: "statusLabel", cluster: "clusterLabel",
    clusters: "clusterLabel", lang: "langLabel", created_from: "fromLabel", created_to: "toLabel",
    limit: "paging", offset: "paging", weeks: "dashWeeks", last: "dashLast",
  };

  /** One of FastAPI's 422 errors in the interface language. */
  function invalidText(error) {
    const msg = String(error.msg || "");
    let m;
    if ((m = msg.match(/the text has \d+ characters; the limit is (\d+)/))) return t("errTooLong", { max: m[1] });
    if ((m = msg.match(/unknown cluster '([^']*)'/))) return t("errUnknownCluster", { id: m[1] });
    if (msg.includes("cannot stand with a cluster")) return t("errNoneWithCluster");
    if (msg.includes("must not be empty")) return t("errEmpty");
    if (error.type === "date_range") return t("errDateRange");
    const field = (error.loc || []).filter((x) => typeof x === "string" && FIELD_KEYS[x]).pop();
    return field ? t("errField", { field: t(FIELD_KEYS[field]) }) : t("errInvalid");
  }

  /**
   * The message for an API error response, in the interface language. The API's details are English
   * for developers; they are read here only to tell the cases apart, never shown as they are.
   */
  async function errorDetail(response) {
    let detail = null;
    try {
      detail = (await response.json()).detail;
    } catch { /* not JSON: told by the status alone */ }
    const text = typeof detail === "string" ? detail : "";
    let m;
    switch (response.status) {
      case 401:
        if (text.startsWith("admin is disabled")) return t("errAdminOff");
        if (text.startsWith("this needs the admin key")) return t("errKeyMissing");
        return t("errKeyWrong");
      case 404:
        if ((m = text.match(/^no inquiry with id (\d+)/))) return t("errNoInquiry", { id: m[1] });
        if ((m = text.match(/^no cluster with id '([^']*)'/))) return t("errUnknownCluster", { id: m[1] });
        return t("errNotFound");
      case 409: return t("errConflict");
      case 413: return t("errBodyTooLarge");
      case 422: return Array.isArray(detail) && detail.length ? invalidText(detail[0]) : t("errInvalid");
      case 429: return t("errTooMany", { seconds: response.headers.get("Retry-After") || "60" });
      case 503: return t("errLoading");
      default: return t("errServer", { status: response.status });
    }
  }

  window.I18N = { t, applyTexts, setLang, pick, percent, h, scoreBar, reasonText, isForeign, errorDetail, possible,
    get lang() { return current; }, onChange(fn) { listeners.push(fn); } };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-lang]").forEach((b) => b.addEventListener("click", () => setLang(b.dataset.lang)));
    applyTexts();
  });
})();
