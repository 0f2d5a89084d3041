"""The ``matcher`` command line: match, triage, evaluate, feedback, clusters, serve."""

from __future__ import annotations

from matcher.cli import evaluate, feedback, routing  # noqa: F401 - each module adds its commands to the app
from matcher.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app()
