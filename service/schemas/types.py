"""The building blocks of the HTTP contract: validated string types, the strict input base, messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)
from pydantic_core import PydanticCustomError

from matcher.text import INVISIBLE, is_valid_unicode


def _storable(value: str) -> str:
    """Refuse a lone surrogate (a JSON escape such as ``\\udfff``), which can be neither stored nor
    sent back; replace NUL, which PostgreSQL cannot store in text, by U+FFFD (so offsets stay right).

    Constrained strings (profile texts) are already refused by pydantic as invalid Unicode; this
    gives the others (a contact, a triage id) the same 422.
    """
    if not is_valid_unicode(value):
        raise PydanticCustomError("string_unicode", "Input should be valid Unicode text, not a lone surrogate")
    return value.replace("\x00", "\ufffd")


# Whitespace by the union of Python's and ECMAScript's definitions of it, so that the server and
# every client validating the schema with an ECMAScript regex agree.
_WHITESPACE = r"\t-\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: Something other than whitespace and the characters that show nothing (``matcher.text.INVISIBLE``):
#: the schema's pattern for ``matcher.text.is_blank``.
VISIBLE = "[^" + _WHITESPACE + "".join(f"\\u{ord(c):04x}" for c in INVISIBLE) + "]"
_visible = re.compile(VISIBLE)


def _not_blank(value: str) -> str:
    if not _visible.search(value):
        raise ValueError("must not be empty or only whitespace")
    return value


#: Any string a client sends: stored and echoed safely.
Str = Annotated[str, AfterValidator(_storable)]
#: A string with some visible content (profile texts, catalogue fields).
_VISIBLE: dict[str, Any] = {"pattern": VISIBLE}  # documented for clients; enforced with a clearer message
# Blank is judged before _storable: the U+FFFD that stands for a NUL would look like something to show.
NonBlank = Annotated[
    str, Field(min_length=1, json_schema_extra=_VISIBLE), AfterValidator(_not_blank), AfterValidator(_storable)
]
ProfileText = Annotated[
    str,
    Field(
        min_length=1,
        json_schema_extra=_VISIBLE,
        description="The company's profile in English or Polish; not blank, at most MATCHER_MAX_TEXT_CHARS characters.",
        examples=["Projektujemy i montujemy instalacje chłodnicze dla przemysłu spożywczego."],
    ),
    AfterValidator(_not_blank),
    AfterValidator(_storable),
]
ClusterId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$", examples=["hvac"])]
#: A cluster id a new cluster may take: ``none`` is reserved for "fits no cluster".
NewClusterId = Annotated[ClusterId, Field(json_schema_extra={"not": {"const": "none"}})]
Status = Literal["routed", "needs_review", "decided"]
#: What the matcher made of a text: routed to ``decision``; ``no_fit``, a clear out-of-scope
#: organisation; ``unclear``, a text that does not say what the organisation does (ask it).
Outcome = Annotated[
    Literal["routed", "no_fit", "unclear"],
    Field(description="routed; no_fit (out of scope); unclear (the text does not say what the organisation does)"),
]


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Message(BaseModel):
    """An error or a note: ``{"detail": "..."}``."""

    detail: str


def _utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


#: How every answer of the matcher says which fitted state made it (``provenance``).
_FITTED_STATE = (
    "Models, catalogue version and hash, n_examples, n_feedback (the feedback profiles learned from), and"
    " fitted_state: a short hash of everything the matcher was fitted from (catalogue, labelled profiles,"
    " feedback, models, code). A write is acknowledged before the refit that learns it; answers show the"
    " new fitted_state once that refit is done."
)


def _whole_number(value: object) -> object:
    """JSON Schema counts 3.0 as an integer; strict validation alone would not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
