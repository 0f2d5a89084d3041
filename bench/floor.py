"""The raw-encode floor, loaded once and re-measured right beside each comparison.

The two cores are shared with other processes whose load comes and goes within minutes, so a
floor measured ten minutes earlier can be several times off. Each part that compares against the
floor (triage, service) measures it again immediately before and after its own figure, in the
bench process, and its ratio uses those samples ("bracketed floor").
"""

from __future__ import annotations

import time

from bench.common import distinct_texts, reference_text


class Floor:
    def __init__(self) -> None:
        from bench.encode import load_default_encoders

        self.encoders, self.load_s = load_default_encoders()
        self.text = reference_text()
        self.texts = distinct_texts(1000)
        self._batch_round = 0

    def single(self, rounds: int = 15) -> list[float]:
        """Seconds for the reference profile, summed over the encoders, one value per round."""
        for enc in self.encoders:
            enc.encode([self.text])
        out = []
        for _ in range(rounds):
            total = 0.0
            for enc in self.encoders:
                t0 = time.perf_counter()
                enc.encode([self.text])
                total += time.perf_counter() - t0
            out.append(total)
        return out

    def batch(self, size: int = 64, rounds: int = 3) -> list[float]:
        """Seconds per batch of ``size`` labelled texts, summed over the encoders, one value per round."""
        out = []
        for _ in range(rounds):
            start = (self._batch_round * size) % (len(self.texts) - size)
            self._batch_round += 1
            chunk = self.texts[start : start + size]
            total = 0.0
            for enc in self.encoders:
                t0 = time.perf_counter()
                enc.encode(chunk)
                total += time.perf_counter() - t0
            out.append(total)
        return out
