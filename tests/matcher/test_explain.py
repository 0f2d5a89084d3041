"""Explanations: passages that point at the cluster, with offsets into the profile and terms."""

from __future__ import annotations

import pytest

from matcher.explain import TERM_MIN_SIM, _without_passages, explain_clusters
from matcher.serialize import explanation_to_dict
from matcher.terms import stems, term_key
from matcher.types import Evidence, Explanation

TEXT = (
    "Jesteśmy firmą z Gdyni. Montujemy klimatyzację i wentylację w biurowcach oraz serwisujemy agregaty "
    "chłodnicze w sklepach.\nW wolnym czasie organizujemy rajdy rowerowe dla pracowników."
)
ONE_SENTENCE_PL = "Projektujemy instalacje chłodnicze dla przemysłu spożywczego"
ONE_SENTENCE_EN = "We design refrigeration systems and heat pumps for the food industry."


def test_evidence_offsets_point_into_the_text(small_matcher):
    ex = explain_clusters(small_matcher.index_, small_matcher.encoders_[0], TEXT, small_matcher.classes_)
    for explanation in ex.values():
        for ev in explanation.evidence:
            assert TEXT[ev.start : ev.end] == ev.text
            assert 0 < ev.weight <= 1


def test_weights_of_one_explanation_sum_to_at_most_one(small_matcher):
    for explanation in explain_clusters(
        small_matcher.index_, small_matcher.encoders_[0], TEXT, small_matcher.classes_
    ).values():
        assert sum(ev.weight for ev in explanation.evidence) <= 1.0 + 1e-6


def test_match_explains_only_top_k(small_matcher):
    r = small_matcher.match(TEXT, top_k=2)
    explained = [m for m in r.ranking if m.explanation is not None]
    assert len(explained) == 2
    assert r.ranking[0].explanation is not None


def test_no_explanation_when_not_asked(small_matcher):
    assert all(m.explanation is None for m in small_matcher.match(TEXT, explain=False).ranking)


@pytest.mark.slow
def test_real_explanation_points_at_the_hvac_sentence_and_terms(real_matcher):
    r = real_matcher.match(TEXT, top_k=1)
    assert r.ranking[0].cluster == "hvac"
    top = r.ranking[0].explanation
    assert top is not None and top.evidence
    assert "klimatyzację" in top.evidence[0].text
    assert all("rajdy rowerowe" not in ev.text for ev in top.evidence[:1])
    assert top.matched_terms, "an HVAC sentence should cite HVAC terms"
    assert top.evidence[0].text[:40] in top.summary()


@pytest.mark.slow
def test_real_explanation_cites_similar_labelled_examples(real_matcher):
    r = real_matcher.match("Container terminal and stevedoring services in the port of Gdynia.", top_k=1)
    top = r.ranking[0].explanation
    assert r.ranking[0].cluster == "maritime"
    assert top is not None and top.similar_examples


def test_activity_codes_are_named_in_the_profile_language(small_matcher):
    m = small_matcher
    text = "Przedmiot działalności: PKD 28.25.Z. Firma z Gdyni."
    pl = explain_clusters(m.index_, m.encoders_[0], text, m.classes_, lang="pl")
    assert pl["hvac"].activity_codes and "chłodnicz" in pl["hvac"].activity_codes[0]
    assert "PKD 28.25" in pl["hvac"].summary()
    en = explain_clusters(m.index_, m.encoders_[0], text, m.classes_, lang="en")
    assert "cooling" in en["hvac"].activity_codes[0]
    assert not pl["ict"].activity_codes  # 28.25 points at no ICT


def test_matching_reads_the_codes_as_features(small_matcher):
    with_codes = small_matcher
    assert with_codes.index_.codes is not None
    text = "Spółka z o.o., Gdańsk. PKD 28.25.Z"
    codes = with_codes.index_.code_vectors([text])
    assert codes is not None and codes[1][0] == 1.0
    assert codes[0][0, with_codes.classes_.index("hvac")] == 1.0
    assert with_codes.match(text).ranking[0].explanation is not None


# -- phrases: words of a passage that tie it to the cluster --------------------------------------


def _explain(m, text, lang):
    return explain_clusters(m.index_, m.encoders_[0], text, m.classes_, lang=lang)


@pytest.mark.parametrize(("text", "lang"), [(TEXT, "pl"), (ONE_SENTENCE_PL, "pl"), (ONE_SENTENCE_EN, "en")])
def test_phrases_point_into_the_text_inside_their_passage(small_matcher, text, lang):
    for explanation in _explain(small_matcher, text, lang).values():
        for ev in explanation.evidence:
            previous_end = ev.start
            for ph in ev.phrases:
                assert text[ph.start : ph.end] == ph.text
                assert previous_end <= ph.start < ph.end <= ev.end  # in text order, apart, inside the passage
                previous_end = ph.end


def test_one_sentence_profile_is_explained_by_phrases_per_cluster(small_matcher):
    ex = _explain(small_matcher, ONE_SENTENCE_PL, "pl")
    hvac = ex["hvac"].evidence[0]
    assert hvac.text == ONE_SENTENCE_PL  # the whole text is the one passage ...
    assert any("chłodnicze" in ph.text for ph in hvac.phrases)  # ... the phrases say which words count
    at = ONE_SENTENCE_PL.index("instalacje chłodnicze")
    assert any(
        ph.start <= at + len("instalacje ") and ph.end >= at + len("instalacje chłodnicze") for ph in hvac.phrases
    )
    assert all(ph.terms for ph in hvac.phrases)
    for cid, explanation in ex.items():  # a phrase another cluster highlights is not about refrigeration
        if cid != "hvac":
            assert all("chłodnicze" not in ph.text for ev in explanation.evidence for ph in ev.phrases)

    en = _explain(small_matcher, ONE_SENTENCE_EN, "en")["hvac"].evidence[0]
    assert {"heat pumps"} <= {ph.text for ph in en.phrases}
    assert any("refrigeration" in ph.text for ph in en.phrases)


def test_one_sentence_two_clusters_highlight_their_own_words(small_matcher):
    text = "Budujemy statki w stoczni oraz farmy wiatrowe na morzu."
    ex = _explain(small_matcher, text, "pl")
    maritime = {ph.text for ev in ex["maritime"].evidence for ph in ev.phrases}
    energy = {ph.text for ev in ex["energy"].evidence for ph in ev.phrases}
    assert ex["maritime"].evidence[0].text == ex["energy"].evidence[0].text == text
    assert {"statki", "stoczni"} <= maritime and "farmy wiatrowe" not in maritime
    assert energy == {"farmy wiatrowe"}


# -- matched topics: the profile's language, one of each stem group, only what the profile says ---


@pytest.mark.parametrize(("text", "lang"), [(TEXT, "pl"), (ONE_SENTENCE_PL, "pl"), (ONE_SENTENCE_EN, "en")])
def test_terms_are_in_the_profile_language_one_of_each_stem_group(small_matcher, catalogue, text, lang):
    for cid, explanation in _explain(small_matcher, text, lang).items():
        own = set(catalogue.get(cid).terms[lang])
        cited = [
            *explanation.matched_terms,
            *(t for ev in explanation.evidence for t in ev.terms),
            *(t for ev in explanation.evidence for ph in ev.phrases for t in ph.terms),
        ]
        assert set(cited) <= own, f"{cid}: {set(cited) - own} are not {lang} terms of the cluster"
        keys = [term_key(t) for t in explanation.matched_terms]
        assert len(keys) == len(set(keys)), explanation.matched_terms
        for ev in explanation.evidence:
            assert len({term_key(t) for t in ev.terms}) == len(ev.terms), ev.terms


def test_inflected_forms_are_named_once(small_matcher):
    text = "Chłodnictwo przemysłowe to nasza specjalność. Serwisujemy chłodnictwo w sklepach i chłodnie."
    terms = _explain(small_matcher, text, "pl")["hvac"].matched_terms
    assert terms
    chlodn = [t for t in terms if "chłodn" in stems(t)]
    assert chlodn == ["chłodnictwo przemysłowe"], terms  # not "chłodnictwo", "chłodnictwa", "chłodnie" besides


def test_terms_relate_to_what_the_profile_says(small_matcher, hashing_encoder):
    """A term named shares a word's stem with the profile, or the passage resembles it (a word of the
    passage close to the cluster's terms would do too; the hashing encoder's words are never that close)."""
    for text, lang in [(TEXT, "pl"), (ONE_SENTENCE_EN, "en")]:
        said = stems(text)
        for explanation in _explain(small_matcher, text, lang).values():
            for ev in explanation.evidence:
                for term in {*ev.terms, *(t for ph in ev.phrases for t in ph.terms)}:
                    passage, emb = hashing_encoder.encode([ev.text, term])
                    assert stems(term) & said or float(passage @ emb) >= TERM_MIN_SIM, (term, ev.text)


# -- what a score rests on when no passage points at the cluster ---------------------------------


def test_no_passage_still_says_what_the_score_rests_on(small_matcher):
    for text, lang, words_of_lang in [
        (ONE_SENTENCE_PL, "pl", ("tylko słabo", "przypomina członków", "kodach działalności")),
        (ONE_SENTENCE_EN, "en", ("only weakly", "resembles this cluster's members", "activity codes")),
    ]:
        bare = [e for e in _explain(small_matcher, text, lang).values() if not e.evidence]
        assert bare, "some cluster has no passage pointing at it"
        for e in bare:
            assert e.basis in ("activity_codes", "profile", "weak")
            assert e.lang == lang
            assert any(w in e.summary() for w in words_of_lang), e.summary()
            assert explanation_to_dict(e)["summary"] == e.summary()
    pointed = _explain(small_matcher, ONE_SENTENCE_PL, "pl")["hvac"]
    assert pointed.basis == "passages" and pointed.summary().startswith(f'"{ONE_SENTENCE_PL}"')


def test_the_profile_as_a_whole_is_cited_when_it_resembles_a_member(small_matcher, hashing_encoder):
    index, c = small_matcher.index_, small_matcher.classes_.index("maritime")
    member = next(t for t, o in zip(index.examples.texts, index.examples.owner, strict=True) if o == c)
    e = _without_passages(index, hashing_encoder.encode([member])[0], c, "en")
    assert e.basis == "profile"
    assert e.similar_examples[0] in (member, member[:117].rstrip() + "...")
    assert "resembles this cluster's members" in e.summary()
    assert "przypomina członków tego klastra" in e.summary("pl")


def test_activity_codes_are_the_basis_when_no_passage_points_there(small_matcher):
    hvac = _explain(small_matcher, "PKD 28.25.Z", "pl")["hvac"]
    assert not hvac.evidence and hvac.activity_codes
    assert hvac.basis == "activity_codes"
    assert "kodach działalności" in hvac.summary() and "PKD 28.25" in hvac.summary()


def test_summary_is_in_the_language_asked_for():
    weak = Explanation((), (), basis="weak", lang="pl")
    assert weak.summary().startswith("tylko słabo: żaden fragment profilu")
    assert weak.summary("en").startswith("only weakly: no passage of the profile")
    assert Explanation((), (), basis="weak", lang="de").summary().startswith("only weakly")  # neither: English
    codes = Explanation((), (), activity_codes=("PKD 28.25.Z — chłodnictwo",), basis="activity_codes", lang="pl")
    assert "wynik opiera się na podanych kodach działalności: PKD 28.25.Z" in codes.summary()
    assert "the score rests on the activity codes it cites: PKD 28.25.Z" in codes.summary("en")
    passage = (Evidence("Firma z Gdyni.", 0, 14, 1.0),)
    like = Explanation(passage, (), ("Terminal kontenerowy w Gdyni",), lang="pl")
    assert like.summary() == '"Firma z Gdyni." (podobnie jak "Terminal kontenerowy w Gdyni")'
    assert like.summary("en") == '"Firma z Gdyni." (like "Terminal kontenerowy w Gdyni")'
    # "profile" with no example to cite says no more than "weak"
    assert Explanation((), (), basis="profile").summary() == Explanation((), (), basis="weak").summary()


def test_json_carries_phrases_and_basis(small_matcher):
    d = explanation_to_dict(_explain(small_matcher, ONE_SENTENCE_PL, "pl")["hvac"])
    assert d["basis"] == "passages" and d["lang"] == "pl"
    phrase = d["evidence"][0]["phrases"][0]
    assert set(phrase) == {"text", "start", "end", "terms"}
    assert ONE_SENTENCE_PL[phrase["start"] : phrase["end"]] == phrase["text"]


# -- the real models ----------------------------------------------------------------------------


@pytest.mark.slow
def test_real_polish_one_sentence_profile(real_matcher, catalogue):
    r = real_matcher.match(ONE_SENTENCE_PL, top_k=6)
    assert r.lang == "pl" and r.ranking[0].cluster == "hvac"
    top = r.ranking[0].explanation
    assert top is not None and top.basis == "passages"
    pl_terms = set(catalogue.get("hvac").terms["pl"])
    assert top.matched_terms and set(top.matched_terms) <= pl_terms
    assert any("chłodn" in stems(t) for t in top.matched_terms), "refrigeration terms"
    assert len({term_key(t) for t in top.matched_terms}) == len(top.matched_terms)
    assert sum("chłodn" in stems(t) for t in top.matched_terms) == 1  # not chłodnictwo, chłodnictwa, ...
    at = ONE_SENTENCE_PL.index("instalacje chłodnicze")
    phrases = top.evidence[0].phrases
    assert any(
        ph.start < at + len("instalacje chłodnicze") and ph.end > at and "chłodnicze" in ph.text for ph in phrases
    )
    for m in r.ranking[1:]:
        assert m.explanation is not None
        summary = m.explanation.summary()
        assert "no passage" not in summary and "only weakly" not in summary  # Polish, as the profile
        if not m.explanation.evidence:
            assert any(w in summary for w in ("tylko słabo", "przypomina członków", "kodach działalności"))


@pytest.mark.slow
def test_real_english_profile_terms_and_phrases(real_matcher, catalogue):
    r = real_matcher.match("We repair ship engines and overhaul marine propulsion in the port of Gdynia.", top_k=6)
    assert r.lang == "en" and r.ranking[0].cluster == "maritime"
    top = r.ranking[0].explanation
    assert top is not None
    assert top.matched_terms and set(top.matched_terms) <= set(catalogue.get("maritime").terms["en"])
    texts = [ph.text for ph in top.evidence[0].phrases]
    assert any("ship" in t for t in texts) and any("engines" in t for t in texts), texts
    for m in r.ranking:
        assert m.explanation is not None
        if not m.explanation.evidence:
            assert any(w in m.explanation.summary() for w in ("only weakly", "resembles", "activity codes"))
