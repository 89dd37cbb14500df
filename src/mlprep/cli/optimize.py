"""`mlprep optimize`: fit the FSRS memory model to your own answers."""

from __future__ import annotations

import json
import time

import typer

from mlprep.cli.common import (
    CardsOption,
    JsonOption,
    command,
    echo_wrapped,
    fail,
    open_library,
    plural,
)

__all__ = ["optimize"]


@command()
def optimize(cards: CardsOption = None, as_json: JsonOption = False) -> None:
    """Fit the FSRS memory model to your own answers and use it.

    Reports how well the default and the fitted parameters predict your answers: fitted on the
    earlier half of your long-term reviews, judged on the later half (log loss and RMSE(bins),
    lower is better; AUC, higher is better). The parameters then fitted to the whole log drive
    recall forecasts, interview mode and, with `mlprep config scheduler fsrs`, scheduling.

    Example: mlprep optimize --json
    """
    from mlprep.app.memory import fit_and_save
    from mlprep.core.memory import NotEnoughReviews

    with open_library(cards, quiet=as_json) as lib:
        started = time.perf_counter()
        try:
            report = fit_and_save(lib.store)
        except NotEnoughReviews as exc:
            if as_json:
                typer.echo(json.dumps({"error": str(exc), "reviews": exc.have, "needed": exc.need}))
                raise typer.Exit(1) from None
            fail(str(exc))
        seconds = time.perf_counter() - started
    if as_json:
        typer.echo(json.dumps(report.to_dict() | {"seconds": round(seconds, 3)}, indent=2))
        return
    d, f = report.default, report.fitted
    echo_wrapped(
        f"Fitted FSRS-6 to {plural(report.reviews, 'long-term review')} in {seconds:.2f} s.\n"
        f"On your {plural(f.reviews, 'review')} after {report.split_day.isoformat()} "
        "(parameters fitted on the ones before):"
    )
    typer.echo(f"  {'':10} {'log loss':>9} {'RMSE(bins)':>11} {'AUC':>6}")
    for name, m in (("default", d), ("fitted", f)):
        auc = "—" if m.auc is None else f"{m.auc:.3f}"
        typer.echo(f"  {name:10} {m.log_loss:>9.4f} {m.rmse_bins:>11.4f} {auc:>6}")
    better = "better" if f.log_loss <= d.log_loss else "worse"
    echo_wrapped(
        f"The fitted parameters predict {better} than the defaults on later answers. They are "
        "saved and used from now on (forecasts, interview mode, FSRS scheduling)."
    )
