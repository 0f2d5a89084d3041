"""Encoders: names to models, lazy and thread-safe loading, normalised output."""

from __future__ import annotations

import copy
import threading

import numpy as np
import pytest

from matcher.config import CACHE_DIR
from matcher.encoders import (
    Encoder,
    OnnxEncoder,
    SentenceTransformerEncoder,
    UseEncoder,
    load_encoder,
    warm_up,
)
from matcher.threads import available_cores, encoding

TEXTS = [
    "We repair ship engines in our shipyard.",
    "Projektujemy instalacje chłodnicze dla przetwórni ryb w Gdyni.",
    "Cloud software, data platforms and cybersecurity audits for banks and logistics companies. " * 8,
    "x",
]


def test_names_resolve_to_the_bundled_models():
    assert isinstance(load_encoder("use-multilingual-v3"), UseEncoder)
    onnx = load_encoder("all-MiniLM-L6-v2")
    assert isinstance(onnx, OnnxEncoder) and onnx.name == "all-MiniLM-L6-v2" and not onnx.int8
    st = load_encoder("all-MiniLM-L6-v2", backend="torch")
    assert isinstance(st, SentenceTransformerEncoder) and st.name == "all-MiniLM-L6-v2"


def test_a_quantised_encoder_is_named_apart_and_round_trips_by_name():
    q = load_encoder("all-MiniLM-L6-v2", backend="onnx-int8")
    assert isinstance(q, OnnxEncoder) and q.int8 and q.name == "all-MiniLM-L6-v2+int8"
    again = load_encoder(q.name)
    assert isinstance(again, OnnxEncoder) and again.int8 and again.name == q.name


def test_models_the_onnx_path_cannot_run_fall_back_to_torch():
    hub = load_encoder("some-org/any-hub-model")
    assert isinstance(hub, SentenceTransformerEncoder) and hub.name == "some-org/any-hub-model"


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown backend 'tensorrt'"):
        load_encoder("all-MiniLM-L6-v2", backend="tensorrt")


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


@pytest.fixture(scope="module")
def torch_minilm():
    return SentenceTransformerEncoder("all-MiniLM-L6-v2")


@pytest.mark.slow
def test_onnx_gives_the_same_embeddings_as_torch(torch_minilm):
    reference = torch_minilm.encode(TEXTS)
    onnx = OnnxEncoder("all-MiniLM-L6-v2", cache_dir=CACHE_DIR, batch_size=2)  # batches of mixed lengths
    out = onnx.encode(TEXTS)
    assert out.shape == reference.shape and out.dtype == np.float32
    np.testing.assert_allclose((out * reference).sum(axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(onnx.encode(TEXTS[1:2])[0], out[1], atol=1e-5)  # padding changes nothing
    assert onnx.encode([]).shape == (0, reference.shape[1])


@pytest.mark.slow
def test_int8_stays_close_to_the_original(torch_minilm):
    reference = torch_minilm.encode(TEXTS)
    out = OnnxEncoder("all-MiniLM-L6-v2", cache_dir=CACHE_DIR, int8=True).encode(TEXTS)
    cosines = (out * reference).sum(axis=1)
    assert cosines.min() > 0.95, cosines


@pytest.mark.slow
def test_use_takes_every_core_only_for_a_batch_on_its_own(real_matcher):
    use = real_matcher.encoders_[0]
    batch = [f"profile number {i}" for i in range(20)]
    use.encode(["one profile"])
    assert use._model._model.threads == 1
    use.encode(batch)
    assert use._model._model.threads == (use.threads or available_cores())
    with encoding():  # another encode is running
        use.encode(batch)
    assert use._model._model.threads == 1
