"""Explanations: passages that point at the cluster, with offsets into the profile and terms."""

from __future__ import annotations

import pytest

from matcher.explain import explain_clusters

TEXT = (
    "Jesteśmy firmą z Gdyni. Montujemy klimatyzację i wentylację w biurowcach oraz serwisujemy agregaty "
    "chłodnicze w sklepach.\nW wolnym czasie organizujemy rajdy rowerowe dla pracowników."
)


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
