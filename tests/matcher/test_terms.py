"""Stems: inflected forms of a word (Polish and English) meet; terms of one stem group collapse."""

from __future__ import annotations

from matcher.terms import dedupe_terms, generic_stems, stem, stems, term_key, word_stems, words


def test_inflected_forms_share_a_stem():
    assert stem("chłodnictwo") == stem("chłodnictwa") == stem("chłodnicze") == "chłodn"
    assert stem("pompy") == stem("pompa") == "pomp"
    assert stem("pumps") == stem("pump") == "pump"
    assert stem("Morze") == stem("morzu")
    assert stem("klimat") == "klimat"  # six letters, no inflected ending


def test_stems_skip_short_words_and_stop_words():
    assert stems("Projektujemy instalacje dla przemysłu i sklepów") == {
        "projek", "projektuj", "instal", "instalacj", "przemy", "przemysłu", "sklep"
    }  # fmt: skip
    assert stems("we do it") == set()
    assert stems("Small company, nowe usługi") == {"usług"}


def test_long_stems_tell_words_apart_that_share_six_letters():
    assert word_stems("elektroniki") & word_stems("elektronika") == {"elektr", "elektroni"}
    assert word_stems("elektroniki") & word_stems("elektrownie") == {"elektr"}
    assert word_stems("port") == {"port"} and word_stems("the") == set()


def test_words_carry_their_offsets():
    text = "Montujemy klimatyzację, i  wentylację."
    for word, start, end in words(text):
        assert text[start:end] == word
    assert [w for w, _, _ in words(text)] == ["Montujemy", "klimatyzację", "i", "wentylację"]


def test_term_key_ignores_inflection_but_keeps_short_words():
    assert term_key("chłodnictwo") == term_key("chłodnictwa")
    assert term_key("pompy ciepła") == term_key("pompa ciepła")
    assert term_key("centrale wentylacyjne") == term_key("centrala wentylacyjna")
    assert term_key("CO2 refrigeration") != term_key("refrigeration")
    assert term_key("chłodnictwo przemysłowe") != term_key("chłodnictwo")
    assert term_key("IT") == frozenset({"it"})  # a term with no word of three letters keeps itself


def test_dedupe_terms_keeps_the_first_of_each_group():
    terms = ["klimatyzacja", "klimatyzacji", "chłodnictwo", "chłodnictwa", "chłodnictwo przemysłowe", "chłodnie"]
    assert dedupe_terms(terms) == ["klimatyzacja", "chłodnictwo", "chłodnictwo przemysłowe"]
    assert dedupe_terms(["refrigeration", "refrigerant", "HVAC", "HVAC&R"]) == ["refrigeration", "HVAC"]


def test_catalogue_terms_collapse_by_stem(catalogue):
    hvac = dedupe_terms(catalogue.get("hvac").terms["pl"])
    assert "chłodnictwo" in hvac and "chłodnictwa" not in hvac
    assert "pompy ciepła" in hvac and "pompa ciepła" not in hvac
    assert len({term_key(t) for t in hvac}) == len(hvac)


def test_generic_stems_are_shared_by_clusters(catalogue):
    generic = generic_stems(catalogue)
    hvac = catalogue.get("hvac")
    assert "chłodn" not in generic and "chłodn" in set().union(*(stems(t) for t in hvac.term_list()))
    owners: dict[str, set[str]] = {}
    for cluster in catalogue:
        for term in cluster.term_list():
            for s in stems(term):
                owners.setdefault(s, set()).add(cluster.id)
    assert generic == {s for s, ids in owners.items() if len(ids) > 1}
