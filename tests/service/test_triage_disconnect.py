"""POST /v1/triage stops matching once its client has gone: the batch is matched a chunk at a time."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from matcher.serialize import triage_line
from service.routes.triage import CLIENT_GONE, triage
from service.schemas import TriageRequest
from service.state import Runtime

TEXTS = ["Stocznia w Gdyni.", "We bake bread.", "Instalacje chłodnicze.", "Farmy wiatrowe.", "Ferries and tugs."]
BODY = TriageRequest.model_validate({"profiles": [{"id": f"p{i}", "text": t} for i, t in enumerate(TEXTS)]})


class CountingMatcher:
    """The real matcher, counting the chunks it is asked to match; ``after_chunk`` runs after each."""

    def __init__(self, matcher: Any, after_chunk: Any = lambda: None) -> None:
        self.matcher, self.after_chunk, self.chunks = matcher, after_chunk, []

    @property
    def provenance_(self) -> dict[str, Any]:
        return self.matcher.provenance_

    def match_many(self, texts: list[str], **kwargs: Any) -> Any:
        self.chunks.append(len(texts))
        results = self.matcher.match_many(texts, **kwargs)
        self.after_chunk()
        return results


class Request:
    """A request whose client leaves when told to."""

    def __init__(self) -> None:
        self.gone = False

    async def is_disconnected(self) -> bool:
        return self.gone


def _runtime(settings: Any, matcher: CountingMatcher) -> Runtime:
    return Runtime(settings, store=None, holder=SimpleNamespace(get=lambda: matcher))  # type: ignore[arg-type]


def _run(runtime: Runtime, request: Request) -> Any:
    return asyncio.run(triage(BODY, request, runtime, admin=True))  # type: ignore[arg-type]


def test_chunks_after_the_client_has_gone_are_not_matched(settings, small_matcher):
    request = Request()
    matcher = CountingMatcher(small_matcher, after_chunk=lambda: setattr(request, "gone", True))
    runtime = _runtime(settings, matcher)
    runtime.triage_chunks = lambda profiles, anonymous=False: Runtime.triage_chunks(  # type: ignore[method-assign]
        runtime, profiles, anonymous=anonymous, size=2
    )
    response = _run(runtime, request)
    assert matcher.chunks == [2]  # the client left while the first chunk was matched: three profiles never were
    assert response.status_code == CLIENT_GONE


def test_a_client_that_stays_gets_every_line_in_order(settings, small_matcher):
    matcher = CountingMatcher(small_matcher)
    runtime = _runtime(settings, matcher)
    chunks, _ = runtime.triage_chunks([(p.id, p.text) for p in BODY.profiles], size=2)
    assert len(chunks) == 3
    lines = [line for chunk in chunks for line in chunk()]
    assert matcher.chunks == [2, 2, 1]
    assert lines == [triage_line(f"p{i}", small_matcher.match(t, explain=False)) for i, t in enumerate(TEXTS)]
    full = _run(runtime, Request())
    assert full.model_dump()["data"] == lines
