"""The thread policy: encodes counted process-wide, models side by side, BLAS on one thread."""

from __future__ import annotations

from threadpoolctl import threadpool_info

from matcher.threads import encode_side_by_side, encoding, single_blas_thread


def test_encodes_in_progress_are_counted_so_that_overlapping_ones_share_the_cores():
    with encoding() as alone:
        with encoding() as beside:
            assert (alone, beside) == (1, 2)
    with encoding() as again:
        assert again == 1


def test_side_by_side_jobs_never_see_themselves_alone(hashing_encoder):
    seen = []

    class Recording:
        name = "rec"

        def encode(self, texts):
            with encoding() as running:
                seen.append(running)
            return hashing_encoder.encode(texts)

    out = encode_side_by_side([(Recording(), ["a"]), (Recording(), ["b", "c"])])
    assert [len(x) for x in out] == [1, 2]
    assert min(seen) >= 2


def test_single_blas_thread_limits_numpys_blas():
    single_blas_thread()
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)
