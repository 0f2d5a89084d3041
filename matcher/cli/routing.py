"""``matcher match`` and ``matcher triage``: one profile, or a file of them."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from matcher.cli.app import (
    UserError,
    app,
    err,
    load_matcher,
    out,
    user_errors,
)
from matcher.text import is_blank, is_valid_unicode

# -- match ------------------------------------------------------------------------------------


@app.command()
def match(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The company's profile; '-' reads it from standard input.")],
    top_k: Annotated[int, typer.Option(min=1, help="Explain this many of the best clusters.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    no_feedback: Annotated[bool, typer.Option("--no-feedback", help="Ignore the store's feedback.")] = False,
) -> None:
    """Rank every cluster for one profile, with the decision and why."""
    with user_errors():
        if text == "-":  # bytes that are not UTF-8 become lone surrogates, refused below
            text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        if is_blank(text):
            raise UserError("the profile text is empty")
        if not is_valid_unicode(text):
            raise UserError("the profile text is not valid UTF-8")
        m = load_matcher(ctx.obj, feedback=not no_feedback)
        result = m.match(text, top_k=top_k)
    if as_json:
        from matcher.serialize import result_to_dict

        out.print_json(data=result_to_dict(result, top_k=top_k))
        return
    table = Table(title="Clusters for this profile", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("cluster")
    table.add_column("score", justify="right")
    table.add_column("why")
    for i, mt in enumerate(result.ranking, 1):
        why = mt.explanation.summary() if mt.explanation else ""
        table.add_row(str(i), f"{escape(mt.label)} [dim]({escape(mt.cluster)})[/]", f"{mt.score:.2f}", escape(why))
    out.print(table)
    decision = ", ".join(result.decision) if result.decision else "no cluster fits"
    out.print(f"[bold]decision:[/] {escape(decision)}")
    if result.needs_review:
        out.print(f"[yellow]needs review:[/] {escape(result.review_reason or '')}")


# -- triage -----------------------------------------------------------------------------------


@app.command()
def triage(
    ctx: typer.Context,
    input: Annotated[
        Path,
        typer.Argument(
            help="Profiles: .jsonl with id,text; .csv with columns id,text (UTF-8, UTF-16, Windows-1250 or"
            " ISO-8859-2); or .xlsx with columns id,text on its first sheet."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="Where to write: .jsonl, .csv (ranking as JSON) or .xlsx (flat, clusters by name)."
        ),
    ],
    excel: Annotated[
        bool,
        typer.Option(
            "--excel",
            help="A .csv output for Excel in a Polish locale: UTF-8 with a BOM, ';' between columns, decimal"
            " commas, and the columns of a .xlsx output (clusters by name, the best three) instead of JSON.",
        ),
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Profiles embedded together.")] = 64,
    no_feedback: Annotated[bool, typer.Option("--no-feedback", help="Ignore the store's feedback.")] = False,
) -> None:
    """Route every profile of INPUT; a bad row is reported by number and the good rows are still written."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from matcher.serialize import triage_line
    from matcher.triage import check_output, read_rows, repeated_ids
    from matcher.triage_writer import TriageWriter

    with user_errors():
        check_output(output, input)
        if excel and output.suffix.lower() == ".jsonl":
            raise UserError(f"{output}: --excel is for a .csv output (a .xlsx one is always for Excel)")
        rows = list(read_rows(input))  # reads the whole file first: a file-level error loses nothing
        m = load_matcher(ctx.obj, feedback=not no_feedback)
        bad = [r for r in rows if r.error]
        good = [r for r in rows if not r.error]
        with (
            _terminated_as_exit(),  # kill or a stopping container: the earlier output stays, no debris
            TriageWriter(output, catalogue=m.catalogue_, excel=excel) as writer,
            Progress(
                TextColumn("routing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
            ) as progress,
        ):
            task = progress.add_task("routing", total=len(good))
            for start in range(0, len(good), batch_size):
                chunk = good[start : start + batch_size]
                results = m.match_many([r.text or "" for r in chunk], batch_size=batch_size)
                for row, result in zip(chunk, results, strict=True):
                    writer.write(triage_line(row.id or "", result), text=row.text or "", lang=result.lang)
                progress.advance(task, len(chunk))
    for r in bad:
        _row_note(input, r.number, f"{r.error} (skipped)", "red")
    for number, first in repeated_ids(good):
        _row_note(input, number, f"the id of row {first} again (both routed)", "yellow")
    err.print(
        f"wrote {len(good)} routed profiles to {escape(str(output))}"
        + (f"; {len(bad)} bad rows skipped" if bad else "")
    )
    if bad:
        raise typer.Exit(1)


def _row_note(path: Path, number: int, message: str, style: str) -> None:
    err.print(f"[{style}]{escape(str(path))}, row {number}:[/] {escape(message)}", highlight=False, soft_wrap=True)


@contextmanager
def _terminated_as_exit() -> Iterator[None]:
    """Within the block, SIGTERM ends the command as an exception (exit code 143), so that the
    ``with`` blocks around it clean up as they do on Ctrl-C."""

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, _exit)
    except ValueError:  # not the main thread (an embedding program): leave its handling alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
