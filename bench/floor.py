"""The raw-encode floor, loaded once and re-measured right beside each comparison.

The two cores are shared with other processes whose load comes and goes within minutes, so a
floor measured ten minutes earlier can be several times off. Each part that compares against the
floor (triage, service) measures it again immediately before and after its own figure, in the
bench process, and its ratio uses those samples ("bracketed floor").
"""

from __future__ import annotations

from bench.common import distinct_texts, reference_text
from bench.encode import batch_rounds, load_default_encoders, single_rounds


class Floor:
    def __init__(self) -> None:
        self.encoders, self.load_s = load_default_encoders()
        self.text = reference_text()
        self.texts = distinct_texts(1000)
        self._batch_round = 0

    def single(self, rounds: int = 15) -> list[float]:
        """Seconds for the reference profile, summed over the encoders, one value per round."""
        return single_rounds(self.encoders, self.text, rounds, warm=1)["sum"]

    def batch(self, size: int = 64, rounds: int = 3) -> list[float]:
        """Seconds per batch of ``size`` labelled texts, summed over the encoders, one value per round."""
        out = batch_rounds(self.encoders, self.texts, size, rounds, first=self._batch_round, warm=False)
        self._batch_round += rounds
        return out["sum"]
