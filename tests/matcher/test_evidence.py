"""The evidence index: pools, n-grams and the masks that keep a text from being its own evidence."""

from __future__ import annotations

import numpy as np

from matcher.profiles import by_split
from matcher.threads import encode_all


def test_pooled_ngrams_equal_fresh_ones(small_matcher, profiles):
    """Fitting reuses the example pools' n-gram vectors; they must be what transforming the texts gives."""
    index = small_matcher.index_
    texts = [p.text for p in by_split(profiles, "train")[:40]]
    pooled = index.ngram_vectors(texts, pooled=True)
    fresh = index.ngrams.vectorizer.transform(texts)
    assert abs(pooled - fresh).max() < 1e-12
    mixed = [*texts, "a text in no pool"]
    assert abs(index.ngram_vectors(mixed, pooled=True) - index.ngrams.vectorizer.transform(mixed)).max() < 1e-12


def test_similarities_give_one_triple_per_source(small_matcher):
    index = small_matcher.index_
    texts = ["Stocznia remontowa w Gdańsku", "We write software for banks"]
    embedded = encode_all(small_matcher.encoders_, texts)[0]
    sims = index.similarities(embedded, index.ngram_vectors(texts))
    assert len(sims) == index.n_sources == 2  # the hashing encoder and the n-grams
    for s_cat, s_ex, s_none in sims:
        assert s_cat.shape == (2, len(index.prototypes.texts))
        assert s_ex.shape == (2, len(index.examples.texts))
        assert s_none.shape == (2, len(index.nofit.texts))


def test_same_text_masks_mark_pooled_items(small_matcher):
    index = small_matcher.index_
    pooled = index.examples.texts[3]
    protos, examples, nofit = index.same_text([pooled, "not in any pool at all"])
    assert examples[0, 3] and not examples[1].any() and not protos[1].any() and not nofit[1].any()


def test_member_sketches_are_examples_but_not_real_ones(small_matcher, catalogue):
    index = small_matcher.index_
    n_sketches = sum(len(c.typical_members[lang]) for c in catalogue for lang in ("en", "pl"))
    assert not index.example_is_real[:n_sketches].any() and index.example_is_real[n_sketches:].all()
    assert (index.n_examples > 0).all() and index.n_examples.sum() == len(index.examples.texts)
    assert np.array_equal(np.unique(index.term_owner), np.arange(len(catalogue.ids)))


def test_silence_margin_is_positive_when_the_nearest_text_says_nothing(hashing_encoder, catalogue, profiles):
    from matcher import Matcher

    unclear = ["Quality, trust and innovation since 1991.", "Nasza misja: robić rzeczy porządnie."]
    m = Matcher([hashing_encoder], tfidf=False, cache_dir=None).fit(
        catalogue, by_split(profiles, "train")[:60], unclear=unclear
    )
    index = m.index_
    example = index.examples.texts[-1]
    texts = [unclear[0], example]
    margin = index.silence_margin(encode_all(m.encoders_, texts)[0])
    assert margin[0] > 0 > margin[1]  # each is nearest its own copy
    # left out of the pools, a text is no longer its own neighbour
    left_out = index.silence_margin(encode_all(m.encoders_, texts)[0], texts=texts)
    assert left_out[0] < margin[0] and left_out[1] > margin[1]
    # the unclear margin compares with the no-fit profiles only
    assert index.unclear_margin(encode_all(m.encoders_, [unclear[0]])[0])[0] > 0
