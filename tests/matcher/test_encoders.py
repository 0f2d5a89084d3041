"""Encoders: names to models, lazy and thread-safe loading, normalised output."""

from __future__ import annotations

import copy
import threading

import numpy as np
import pytest

from matcher.encoders import Encoder, SentenceTransformerEncoder, UseEncoder, load_encoder, warm_up


def test_names_resolve_to_the_bundled_models():
    assert isinstance(load_encoder("use-multilingual-v3"), UseEncoder)
    st = load_encoder("all-MiniLM-L6-v2")
    assert isinstance(st, SentenceTransformerEncoder) and st.name == "all-MiniLM-L6-v2"
    assert load_encoder("some-org/any-hub-model").name == "some-org/any-hub-model"


def test_encoders_satisfy_the_protocol(hashing_encoder):
    assert isinstance(UseEncoder(), Encoder)
    assert isinstance(hashing_encoder, Encoder)


def test_copies_do_not_carry_a_model_or_a_lock_across():
    enc = UseEncoder(threads=1)
    enc._model = object()  # as if loaded
    clone = copy.deepcopy(enc)
    assert clone._model is None and clone.threads == 1
    assert isinstance(clone._lock, type(threading.Lock()))


def test_two_threads_load_a_model_once():
    calls = []

    class Slow(UseEncoder):
        def _build(self):
            calls.append(1)
            return object()

    enc = Slow()
    threads = [threading.Thread(target=enc._load) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1]


def test_warm_up_encodes_with_every_encoder(hashing_encoder):
    seen = []

    class Recording:
        name = "rec"

        def encode(self, texts):
            seen.append(threading.current_thread().name)
            return hashing_encoder.encode(texts)

    warm_up([Recording(), Recording()])
    assert len(seen) == 2 and all(name.startswith("warm-up") for name in seen)


@pytest.mark.slow
def test_real_models_give_unit_rows_and_use_aligns_polish_with_english(real_matcher):
    use, minilm = real_matcher.encoders_
    pair = ["Naprawiamy silniki okrętowe w stoczni.", "We repair ship engines in our shipyard."]
    for enc in (use, minilm):
        x = enc.encode(pair)
        np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, rtol=1e-5)
    assert float(use.encode(pair)[0] @ use.encode(pair)[1]) > float(minilm.encode(pair)[0] @ minilm.encode(pair)[1])
