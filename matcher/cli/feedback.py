"""``matcher feedback``: import, list and withdraw the labelled profiles the matcher learns from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from matcher.cli.app import (
    UserError,
    err,
    feedback_app,
    open_store,
    out,
    user_errors,
)
from matcher.profiles import by_split, read_profiles

# -- feedback ---------------------------------------------------------------------------------


#: The largest id a database row can have (a signed 64-bit integer).
_MAX_ID = 2**63 - 1


@feedback_app.command("import")
def feedback_import(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="Labelled profiles (.jsonl with text and labels; split optional).")],
    split: Annotated[str | None, typer.Option(help="Only rows of this split (any name the file uses).")] = None,
) -> None:
    """Store labelled profiles as feedback; later matching (CLI and service) learns from them.

    A bad line (not JSON, no text, a cluster the catalogue lacks) is reported by number and
    skipped; the good lines are stored, and the exit status is 1 if any line was bad. A profile
    already stored with the same labels is not stored again.
    """
    from matcher.loading import effective_catalogue

    with user_errors():
        if data.suffix.lower() in _NOT_JSONL:
            raise UserError(f"{data}: feedback import reads JSON Lines (.jsonl), an object with text and labels a line")
        store = open_store(ctx.obj)
        known = effective_catalogue(store, ctx.obj.catalogue_path).ids
        profiles, problems = read_profiles(data, known=known)
        if split is not None:
            profiles = by_split(profiles, split)
            if not profiles:
                unread = f" ({len(problems)} bad lines could not be read)" if problems else ""
                raise UserError(f"{data}: no profiles in split {split!r}{unread}")
        ids = store.add_feedback(profiles, source="import", skip_known=True) if profiles else []
    for problem in problems:
        err.print(f"[red]{escape(str(problem))}[/] (skipped)", highlight=False, soft_wrap=True)
    already = len(profiles) - len(ids)
    err.print(
        _stored(ids)
        + (f"; {already} already stored" if already else "")
        + (f"; {len(problems)} bad lines skipped" if problems else "")
    )
    if problems:
        raise typer.Exit(1)


#: Spreadsheet files that feedback import refuses at once, rather than as one bad line per row.
_NOT_JSONL = {".csv", ".tsv", ".xls", ".xlsx", ".ods"}


def _stored(ids: list[int]) -> str:
    if not ids:
        return "nothing stored"
    if len(ids) == 1:
        return f"stored 1 feedback profile (id {ids[0]})"
    return f"stored {len(ids)} feedback profiles (ids {ids[0]}-{ids[-1]})"


@feedback_app.command("list")
def feedback_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include withdrawn feedback.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the feedback as JSON.")] = False,
) -> None:
    """The stored feedback, newest last."""
    with user_errors():
        rows = open_store(ctx.obj).list_feedback(include_withdrawn=all_)
    items: list[dict[str, Any]] = [
        {
            "id": r.id,
            "labels": r.labels,
            "source": r.source,
            "text": r.text,
            "created_at": r.created_at.isoformat(),
            "withdrawn": r.withdrawn_at is not None,
        }
        for r in rows
    ]
    if as_json:
        out.print_json(data=items)
        return
    t = Table(title=f"{len(items)} feedback profiles")
    for col in ("id", "labels", "source", "text"):
        t.add_column(col)
    for it in items:
        text = it["text"] if len(it["text"]) < 70 else it["text"][:67] + "..."
        t.add_row(
            str(it["id"]),
            escape(", ".join(it["labels"]) + (" (withdrawn)" if it["withdrawn"] else "")),
            escape(it["source"]),
            escape(text),
        )
    out.print(t)


@feedback_app.command("withdraw")
def feedback_withdraw(
    ctx: typer.Context,
    feedback_id: Annotated[int, typer.Argument(min=1, max=_MAX_ID, help="The id from 'matcher feedback list'.")],
) -> None:
    """Withdraw one feedback profile: routing goes back to what it was without it (an officer's
    decision: its inquiry goes back to the queue)."""
    from matcher.store import NotFound

    with user_errors():
        store = open_store(ctx.obj)
        try:
            earlier = store.get_feedback(feedback_id).withdrawn_at
            if earlier is None:
                store.withdraw_feedback(feedback_id)
        except NotFound as exc:
            raise UserError(str(exc)) from None
    if earlier is not None:  # the first withdrawal is kept
        err.print(f"feedback {feedback_id} was already withdrawn ({earlier:%Y-%m-%d %H:%M} UTC)")
    else:
        err.print(f"feedback {feedback_id} withdrawn")
