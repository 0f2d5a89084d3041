"""``matcher evaluate``: metrics on labelled profiles, and the confusion matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from matcher.cli.app import (
    UserError,
    app,
    err,
    load_matcher,
    out,
    user_errors,
    with_status,
)
from matcher.config import REPORTS_DIR
from matcher.profiles import by_split, load_profiles

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

    with user_errors():
        _check_plot(plot)
        load_profiles(data)  # a missing or broken file is reported before the models load
        m = load_matcher(ctx.obj, feedback=not no_feedback)
        profiles = load_profiles(data, known=m.classes_)
        if split is not None:
            profiles = by_split(profiles, split)
        if not profiles:
            raise UserError(f"{data}: no profiles to evaluate" + (f" in split {split!r}" if split is not None else ""))
        rep = with_status(f"Matching {len(profiles)} profiles...", lambda: run(m, profiles))
        png = plot_confusion(rep, plot)
    if as_json:
        out.print_json(data={**rep.to_dict(), "confusion_png": str(png)})
        return
    t = Table(title=f"{escape(data.name)}: {rep.overall.n} profiles", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("", "n", "top-1", "top-3", "routing", "no-fit\nP", "no-fit\nR", "ECE", "ECE\nall", "bias\n.2-.9"):
        t.add_column(col, justify="right")
    q = Table(title="the review queue (needs_review)")
    for col in ("", "set aside", "routing of the rest"):
        q.add_column(col, justify="right")
    for name, s in [("all", rep.overall), *rep.by_language.items()]:
        t.add_row(
            escape(name),
            str(s.n),
            *(
                _fmt(v)
                for v in (s.top1, s.top3, s.routing, s.no_fit_precision, s.no_fit_recall, s.ece, s.pair_ece, s.mid_bias)
            ),
        )
        q.add_row(escape(name), _fmt(s.review_share), _fmt(s.routing_unreviewed))
    out.print(t)
    out.print(q)
    if rep.bands_hold_by_chance is not None:
        out.print(
            "bias .2-.9: the mean of every cluster's score from 0.2 to 0.9 minus the share accepted. Band by "
            "band (--json), a perfectly calibrated matcher would keep every band within 0.1 in "
            f"{rep.bands_hold_by_chance:.0%} of random draws of labels on a set of this size."
        )
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
