"""The ``matcher`` command line's application, its global options and what the commands share."""

from __future__ import annotations

import os
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
from matcher.profiles import ProfileError
from matcher.settings import Settings, get_settings
from matcher.text import LANGUAGES
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
        fail(_settings_problem(exc, overrides))


def _settings_problem(exc: ValidationError, options: dict[str, Any]) -> str:
    """One line naming the setting (its option or environment variable), the problem and the value."""
    problems = []
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else ""
        where = f"--{field.replace('_', '-')}" if field in options else f"MATCHER_{field.upper()}"
        problems.append(f"{where}: {e['msg']} (got {e.get('input')!r})")
    return "invalid setting: " + "; ".join(problems)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except (UserError, CatalogueError, ProfileError, InputError) as exc:
        fail(str(exc))


def open_store(settings: Settings) -> Store:
    from matcher.store import Store, display_url

    try:
        return Store(settings.database_url)
    except Exception as exc:  # noqa: BLE001 - any driver error becomes one readable line
        where = display_url(settings.database_url)
        raise UserError(f"cannot open the store {where!r}: {exc.__class__.__name__}: {first_line(exc)}") from None


def first_line(exc: Exception, default: str = "") -> str:
    """The first line of an exception's message (drivers and loaders add pages of detail)."""
    return str(exc).splitlines()[0] if str(exc) else default


def with_status(message: str, fn: Callable[[], T]) -> T:
    with err.status(message, spinner="dots"):
        return fn()


def load_matcher(settings: Settings, *, feedback: bool = True) -> Matcher:
    from matcher.loading import build_matcher

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    store = open_store(settings) if feedback else None
    try:
        return with_status("Loading models and catalogue...", lambda: build_matcher(store, **settings.matcher_args()))
    except (CatalogueError, ProfileError):
        raise
    except (OSError, ValueError) as exc:  # an encoder, a cache folder or a path of the settings
        reason = first_line(exc, exc.__class__.__name__)
        raise UserError(f"cannot load the matcher ({', '.join(settings.encoders)}): {reason}") from None


# -- clusters and serve -----------------------------------------------------------------------


@app.command()
def clusters(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalogue as JSON.")] = False,
    lang: Annotated[str, typer.Option(help="Names and descriptions in en or pl.")] = "en",
) -> None:
    """The cluster catalogue (with the store's edits)."""
    if lang not in LANGUAGES:
        fail(f"--lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    from matcher.loading import effective_catalogue

    with user_errors():
        cat = effective_catalogue(open_store(ctx.obj), ctx.obj.catalogue_path)
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
    """Start the HTTP service (API, web page and office view): the program ``python -m service``."""
    s: Settings = ctx.obj
    # The service is its own program; it (and each of its workers) reads the settings from the
    # environment, where the options given here take precedence.
    given: dict[str, object] = {"HOST": host, "PORT": port, "WORKERS": workers}
    given |= {"DATABASE_URL": s.database_url, "CACHE_DIR": s.cache_dir, "ENCODERS": ",".join(s.encoders)}
    given |= {"BACKEND": s.backend}
    env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    env |= {f"MATCHER_{key}": str(value) for key, value in given.items() if value is not None}
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-m", "service"], env)
