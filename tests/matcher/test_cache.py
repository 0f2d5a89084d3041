"""Tests for matcher/cache.py: disk and memory caching of embeddings, with a counting fake encoder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from matcher.cache import EmbeddingCache, _key, prune_least_recent


class CountingEncoder:
    """A deterministic fake encoder that records every call and every text it embedded."""

    def __init__(self, name: str = "counting-fake") -> None:
        self.name = name
        self.calls: list[list[str]] = []

    @property
    def n_calls(self) -> int:
        return len(self.calls)

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 8), dtype=np.float32)
        for i, text in enumerate(texts):
            digest = hashlib.sha256(f"{self.name}|{text}".encode()).digest()
            out[i] = np.frombuffer(digest[:8], dtype=np.uint8).astype(np.float32) + 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _npy_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.npy"))


TEXTS = ["offshore wind farms", "chłodnictwo przemysłowe", "software house"]


def test_first_call_encodes_and_writes_one_file(tmp_path: Path) -> None:
    enc = CountingEncoder()
    emb = EmbeddingCache(tmp_path).encode(enc, TEXTS)
    assert enc.calls == [TEXTS]
    np.testing.assert_array_equal(emb, CountingEncoder().encode(TEXTS))
    files = _npy_files(tmp_path)
    assert len(files) == 1
    np.testing.assert_array_equal(np.load(files[0]), emb)


def test_second_process_reads_from_disk(tmp_path: Path) -> None:
    enc = CountingEncoder()
    first = EmbeddingCache(tmp_path).encode(enc, TEXTS)
    again = EmbeddingCache(tmp_path).encode(enc, TEXTS)  # a fresh cache: empty memory, same folder
    assert enc.n_calls == 1
    np.testing.assert_array_equal(again, first)


def test_changed_texts_are_re_encoded(tmp_path: Path) -> None:
    enc = CountingEncoder()
    EmbeddingCache(tmp_path).encode(enc, TEXTS)
    changed = [*TEXTS[:2], "software houses"]
    emb = EmbeddingCache(tmp_path).encode(enc, changed)
    assert enc.calls[1] == changed
    np.testing.assert_array_equal(emb, CountingEncoder().encode(changed))
    assert len(_npy_files(tmp_path)) == 2


def test_order_of_texts_matters_for_the_file(tmp_path: Path) -> None:
    enc = CountingEncoder()
    EmbeddingCache(tmp_path).encode(enc, TEXTS)
    reordered = list(reversed(TEXTS))
    emb = EmbeddingCache(tmp_path).encode(enc, reordered)
    assert enc.n_calls == 2
    np.testing.assert_array_equal(emb, CountingEncoder().encode(reordered))


def test_model_name_is_part_of_the_key(tmp_path: Path) -> None:
    one, other = CountingEncoder("model-one"), CountingEncoder("model-two")
    EmbeddingCache(tmp_path).encode(one, TEXTS)
    emb = EmbeddingCache(tmp_path).encode(other, TEXTS)
    assert other.n_calls == 1
    np.testing.assert_array_equal(emb, CountingEncoder("model-two").encode(TEXTS))


def test_memory_memo_encodes_only_the_new_text(tmp_path: Path) -> None:
    enc = CountingEncoder()
    cache = EmbeddingCache(tmp_path)
    cache.encode(enc, TEXTS)
    emb = cache.encode(enc, [*TEXTS, "a new feedback profile"])
    assert enc.calls == [TEXTS, ["a new feedback profile"]]
    np.testing.assert_array_equal(emb, CountingEncoder().encode([*TEXTS, "a new feedback profile"]))


def test_repeated_texts_are_encoded_once(tmp_path: Path) -> None:
    enc = CountingEncoder()
    emb = EmbeddingCache(None).encode(enc, ["x", "y", "x"])
    assert enc.calls == [["x", "y"]]
    assert emb.shape == (3, 8)
    np.testing.assert_array_equal(emb[0], emb[2])


def test_without_a_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    enc = CountingEncoder()
    cache = EmbeddingCache(None)
    assert cache.directory is None
    first = cache.encode(enc, TEXTS)
    second = cache.encode(enc, TEXTS)
    assert enc.n_calls == 1
    np.testing.assert_array_equal(first, second)
    assert list(tmp_path.iterdir()) == []  # nothing written, not even to the working directory


def test_directory_is_created(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "cache"
    EmbeddingCache(target).encode(CountingEncoder(), TEXTS)
    assert len(_npy_files(target)) == 1


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b"not a numpy file at all"), id="garbage"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:-10]), id="truncated"),  # torn write
        pytest.param(lambda path: np.save(path, np.zeros((1, 8), dtype=np.float32)), id="wrong-shape"),
        pytest.param(lambda path: path.write_bytes(b""), id="empty"),
    ],
)
def test_a_corrupt_file_is_re_embedded_and_rewritten(tmp_path: Path, damage) -> None:
    enc = CountingEncoder()
    expected = EmbeddingCache(tmp_path).encode(enc, TEXTS)
    (path,) = _npy_files(tmp_path)
    damage(path)
    emb = EmbeddingCache(tmp_path).encode(enc, TEXTS)
    assert enc.n_calls == 2
    np.testing.assert_array_equal(emb, expected)
    np.testing.assert_array_equal(np.load(path), expected)  # repaired on disk


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    cache.encode(CountingEncoder(), TEXTS)
    cache.encode(CountingEncoder(), TEXTS[:1])
    assert not list(tmp_path.glob("*.tmp"))


def test_empty_text_list(tmp_path: Path) -> None:
    enc = CountingEncoder()
    emb = EmbeddingCache(tmp_path).encode(enc, [])
    assert emb.shape[0] == 0
    assert _npy_files(tmp_path) == []


def test_shared_gives_one_instance_per_directory(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    first = EmbeddingCache.shared(a)
    assert EmbeddingCache.shared(a) is first
    assert EmbeddingCache.shared(str(a)) is first
    assert EmbeddingCache.shared(tmp_path / "b" / ".." / "a") is first
    assert EmbeddingCache.shared(b) is not first
    assert EmbeddingCache.shared(b) is EmbeddingCache.shared(b)
    assert EmbeddingCache.shared(None) is EmbeddingCache.shared(None)
    assert EmbeddingCache.shared(None).directory is None


def test_shared_instances_share_memory(tmp_path: Path) -> None:
    enc = CountingEncoder()
    EmbeddingCache.shared(tmp_path / "shared").encode(enc, TEXTS)
    for path in _npy_files(tmp_path / "shared"):
        path.unlink()  # only the memory can answer now
    EmbeddingCache.shared(tmp_path / "shared").encode(enc, TEXTS)
    assert enc.n_calls == 1


def test_prune_keeps_the_most_recently_used_files_within_the_size(tmp_path: Path) -> None:
    """Each new feedback state writes new pool matrices: the folder is kept to a size, LRU."""
    cache, enc = EmbeddingCache(tmp_path), CountingEncoder()
    lists = [[f"{t} {i}" for t in TEXTS] for i in range(4)]
    for i, texts in enumerate(lists):
        cache.encode(enc, texts)
        os.utime(_npy_files_for(tmp_path, enc, texts), (1000 + i, 1000 + i))
    EmbeddingCache(tmp_path).encode(enc, lists[0])  # read again from disk: marked as used
    size = _npy_files_for(tmp_path, enc, lists[0]).stat().st_size
    assert cache.prune(max_bytes=2 * size) == 2
    kept = set(_npy_files(tmp_path))
    assert kept == {_npy_files_for(tmp_path, enc, lists[0]), _npy_files_for(tmp_path, enc, lists[3])}


def test_prune_least_recent_keeps_a_number_of_files(tmp_path: Path) -> None:
    paths = [tmp_path / f"{i}.pkl" for i in range(5)]
    for i, path in enumerate(paths):
        path.write_bytes(b"x")
        os.utime(path, (i, i))
    assert prune_least_recent([*paths, tmp_path / "gone.pkl"], keep=2) == 3
    assert sorted(tmp_path.iterdir()) == paths[3:]


def _npy_files_for(directory: Path, enc: CountingEncoder, texts: list[str]) -> Path:
    return directory / f"{_key(enc.name, texts)}.npy"
