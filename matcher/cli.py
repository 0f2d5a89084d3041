"""The ``matcher`` command line: match, triage, evaluate, feedback, clusters, serve."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from matcher.catalogue import CatalogueError
from matcher.config import REPORTS_DIR
from matcher.profiles import ProfileError, by_split, load_profiles, read_profiles
from matcher.settings import Settings, get_settings
from matcher.text import LANGUAGES, is_blank, is_valid_unicode
from matcher.triage import InputError

if TYPE_CHECKING:
    from matcher.estimator import Matcher
    from matcher.store import Store

app = typer.Typer(
    help="Match company profiles (English or Polish) to the Pomeranian business clusters.",
    no_args_is_help=True,
    rich_markup_mode="markdown",  # a docstring paragraph is rewrapped, not broken where the source breaks
    add_completion=False,
    pretty_exceptions_enable=False,
)
feedback_app = typer.Typer(help="Labelled profiles the matcher learns from.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")

out = Console()
err = Console(stderr=True)
T = TypeVar("T")


#: The largest id a database row can have (a signed 64-bit integer).
_MAX_ID = 2**63 - 1


class UserError(Exception):
    """Something the user gave us is wrong: one line on stderr, exit 2."""


@app.callback()
def _options(
    ctx: typer.Context,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the store (env MATCHER_DATABASE_URL).")
    ] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding cache (env MATCHER_CACHE_DIR).")] = None,
    encoders: Annotated[
        str | None, typer.Option(help="Comma-separated encoder names or paths (env MATCHER_ENCODERS).")
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option(help="How sentence-transformers models run: onnx, onnx-int8 or torch (env MATCHER_BACKEND)."),
    ] = None,
) -> None:
    from matcher.threads import single_blas_thread

    single_blas_thread()
    overrides: dict[str, Any] = {}
    if database_url:
        overrides["database_url"] = database_url
    if cache_dir:
        overrides["cache_dir"] = cache_dir
    if encoders:
        overrides["encoders"] = encoders
    if backend:
        overrides["backend"] = backend
    try:
        ctx.obj = get_settings().model_copy(update=Settings(**overrides).model_dump(include=set(overrides)))
    except ValidationError as exc:
        _fail(_settings_problem(exc, overrides))


def _settings_problem(exc: ValidationError, options: dict[str, Any]) -> str:
    """One line naming the setting (its option or environment variable), the problem and the value."""
    problems = []
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else ""
        where = f"--{field.replace('_', '-')}" if field in options else f"MATCHER_{field.upper()}"
        problems.append(f"{where}: {e['msg']} (got {e.get('input')!r})")
    return "invalid setting: " + "; ".join(problems)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except (UserError, CatalogueError, ProfileError, InputError) as exc:
        _fail(str(exc))


def _store(settings: Settings) -> Store:
    from matcher.store import Store, display_url

    try:
        return Store(settings.database_url)
    except Exception as exc:  # noqa: BLE001 - any driver error becomes one readable line
        where = display_url(settings.database_url)
        raise UserError(f"cannot open the store {where!r}: {exc.__class__.__name__}: {_first_line(exc)}") from None


def _first_line(exc: Exception, default: str = "") -> str:
    """The first line of an exception's message (drivers and loaders add pages of detail)."""
    return str(exc).splitlines()[0] if str(exc) else default


def _with_status(message: str, fn: Callable[[], T]) -> T:
    with err.status(message, spinner="dots"):
        return fn()


def _matcher(settings: Settings, *, feedback: bool = True) -> Matcher:
    from matcher.loading import build_matcher

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    store = _store(settings) if feedback else None
    try:
        return _with_status("Loading models and catalogue...", lambda: build_matcher(settings, store))
    except (CatalogueError, ProfileError):
        raise
    except (OSError, ValueError) as exc:  # an encoder, a cache folder or a path of the settings
        reason = _first_line(exc, exc.__class__.__name__)
        raise UserError(f"cannot load the matcher ({', '.join(settings.encoders)}): {reason}") from None


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
    with _user_errors():
        if text == "-":  # bytes that are not UTF-8 become lone surrogates, refused below
            text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        if is_blank(text):
            raise UserError("the profile text is empty")
        if not is_valid_unicode(text):
            raise UserError("the profile text is not valid UTF-8")
        m = _matcher(ctx.obj, feedback=not no_feedback)
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
    input: Annotated[Path, typer.Argument(help="Profiles: .jsonl with id,text or .csv with columns id,text.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write: .jsonl or .csv.")],
    batch_size: Annotated[int, typer.Option(min=1, help="Profiles embedded together.")] = 64,
    no_feedback: Annotated[bool, typer.Option("--no-feedback", help="Ignore the store's feedback.")] = False,
) -> None:
    """Route every profile of INPUT; a bad row is reported by number and the good rows are still written."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from matcher.triage import TriageWriter, check_output, read_rows, repeated_ids, triage_line

    with _user_errors():
        check_output(output, input)
        rows = list(read_rows(input))  # reads the whole file first: a file-level error loses nothing
        m = _matcher(ctx.obj, feedback=not no_feedback)
        bad = [r for r in rows if r.error]
        good = [r for r in rows if not r.error]
        with (
            _terminated_as_exit(),  # kill or a stopping container: the earlier output stays, no debris
            TriageWriter(output) as writer,
            Progress(
                TextColumn("routing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
            ) as progress,
        ):
            task = progress.add_task("routing", total=len(good))
            for start in range(0, len(good), batch_size):
                chunk = good[start : start + batch_size]
                results = m.match_many([r.text or "" for r in chunk], batch_size=batch_size)
                for row, result in zip(chunk, results, strict=True):
                    writer.write(triage_line(row.id or "", result))
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


# -- evaluate ---------------------------------------------------------------------------------


@app.command()
def evaluate(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="Labelled profiles (.jsonl with text and labels).")],
    split: Annotated[str | None, typer.Option(help="Only rows of this split (any name the file uses).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    plot: Annotated[Path, typer.Option(help="Where to save the confusion matrix (.png, .svg or .pdf).")] = REPORTS_DIR
    / "confusion-matrix.png",
    no_feedback: Annotated[bool, typer.Option("--no-feedback", help="Ignore the store's feedback.")] = False,
) -> None:
    """Top-1, top-3, routing and no-fit metrics per language and per cluster, and a confusion matrix."""
    from matcher.evaluation import evaluate as run
    from matcher.evaluation import plot_confusion

    with _user_errors():
        _check_plot(plot)
        load_profiles(data)  # a missing or broken file is reported before the models load
        m = _matcher(ctx.obj, feedback=not no_feedback)
        profiles = load_profiles(data, known=m.classes_)
        if split is not None:
            profiles = by_split(profiles, split)
        if not profiles:
            raise UserError(f"{data}: no profiles to evaluate" + (f" in split {split!r}" if split is not None else ""))
        rep = _with_status(f"Matching {len(profiles)} profiles...", lambda: run(m, profiles))
        png = plot_confusion(rep, plot)
    if as_json:
        out.print_json(data={**rep.to_dict(), "confusion_png": str(png)})
        return
    t = Table(title=f"{escape(data.name)}: {rep.overall.n} profiles")
    for col in ("", "n", "top-1", "top-3", "routing", "no-fit P", "no-fit R", "ECE"):
        t.add_column(col, justify="right")
    q = Table(title="the review queue (needs_review)")
    for col in ("", "set aside", "routing of the rest"):
        q.add_column(col, justify="right")
    for name, s in [("all", rep.overall), *rep.by_language.items()]:
        t.add_row(
            escape(name),
            str(s.n),
            *(_fmt(v) for v in (s.top1, s.top3, s.routing, s.no_fit_precision, s.no_fit_recall, s.ece)),
        )
        q.add_row(escape(name), _fmt(s.review_share), _fmt(s.routing_unreviewed))
    out.print(t)
    out.print(q)
    c = Table(title="per cluster (first label / first routed cluster)")
    for col in ("cluster", "support", "precision", "recall"):
        c.add_column(col, justify="right")
    for cid, cs in rep.by_cluster.items():
        c.add_row(escape(cid), str(cs.support), _fmt(cs.precision), _fmt(cs.recall))
    out.print(c)
    cm = Table(title="confusion (rows: true, columns: routed)")
    cm.add_column("")
    for lab in rep.labels:
        cm.add_column(escape(lab[:6]), justify="right")
    for lab, row in zip(rep.labels, rep.confusion, strict=True):
        cm.add_row(escape(lab), *(str(v) if v else "." for v in row))
    out.print(cm)
    err.print(f"confusion matrix saved to {escape(str(png))}")


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


#: Formats the confusion matrix can be saved in.
PLOT_FORMATS = (".png", ".svg", ".pdf")


def _check_plot(path: Path) -> None:
    from matcher.triage import check_writable

    if path.suffix.lower() not in PLOT_FORMATS:
        raise UserError(f"{path}: the plot needs a name ending in {', '.join(PLOT_FORMATS)}")
    check_writable(path)


# -- feedback ---------------------------------------------------------------------------------


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

    with _user_errors():
        if data.suffix.lower() in _NOT_JSONL:
            raise UserError(f"{data}: feedback import reads JSON Lines (.jsonl), an object with text and labels a line")
        store = _store(ctx.obj)
        known = effective_catalogue(ctx.obj, store).ids
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
    with _user_errors():
        rows = _store(ctx.obj).list_feedback(include_withdrawn=all_)
    items = [
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

    with _user_errors():
        store = _store(ctx.obj)
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


# -- clusters and serve -----------------------------------------------------------------------


@app.command()
def clusters(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalogue as JSON.")] = False,
    lang: Annotated[str, typer.Option(help="Names and descriptions in en or pl.")] = "en",
) -> None:
    """The cluster catalogue (with the store's edits)."""
    if lang not in LANGUAGES:
        _fail(f"--lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    from matcher.loading import effective_catalogue

    with _user_errors():
        cat = effective_catalogue(ctx.obj, _store(ctx.obj))
    if as_json:
        out.print_json(data=cat.to_dict())
        return
    t = Table(title=f"{len(cat)} clusters", show_lines=True)
    for col in ("id", "name", "about"):
        t.add_column(col)
    for c in cat:
        desc = c.description.get(lang) or c.description["en"]
        t.add_row(escape(c.id), escape(c.label(lang)), escape(desc[:160] + ("..." if len(desc) > 160 else "")))
    out.print(t)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (env MATCHER_HOST, default 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port to listen on (env MATCHER_PORT, default 8000).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Worker processes (env MATCHER_WORKERS, default 1).")
    ] = None,
) -> None:
    """Start the HTTP service (API, web page and office view)."""
    import uvicorn

    s: Settings = ctx.obj
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Workers are separate processes: they read their settings from the environment.
    for key, value in {
        "DATABASE_URL": s.database_url,
        "CACHE_DIR": str(s.cache_dir),
        "ENCODERS": ",".join(s.encoders),
        "BACKEND": s.backend,
    }.items():
        os.environ[f"MATCHER_{key}"] = value
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        host=host if host is not None else s.host,
        port=port if port is not None else s.port,
        workers=workers if workers is not None else s.workers,
        log_level="info",
    )


def main() -> None:
    app()
