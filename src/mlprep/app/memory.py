"""The memory model wired to a library: the FSRS parameters in use (fitted by `mlprep
optimize`, else the defaults), fitting and saving them, and refitting when the log has grown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlprep.app.library import FSRS_PARAMETERS_KEY

if TYPE_CHECKING:
    from mlprep.core.memory import FitReport
    from mlprep.core.scheduling.fsrs import FsrsScheduler
    from mlprep.storage.store import Store

__all__ = ["REFIT_GROWTH", "fit_and_save", "memory_scheduler", "saved_fit", "should_refit"]

# Refit automatically once the long-term reviews have grown by this factor since the last fit.
REFIT_GROWTH = 1.5


def saved_fit(store: Store) -> dict[str, Any] | None:
    return store.meta(FSRS_PARAMETERS_KEY)


def memory_scheduler(store: Store, desired_retention: float = 0.9) -> FsrsScheduler:
    """FSRS with the parameters in use: the active scheduler if it is FSRS, else FSRS with the
    fitted (or default) parameters, for forecasts whatever the scheduler."""
    from mlprep.core.scheduling.fsrs import FsrsScheduler

    if isinstance(store.memory, FsrsScheduler):
        return store.memory
    if isinstance(store.scheduler, FsrsScheduler):
        return store.scheduler
    fitted = saved_fit(store)
    return FsrsScheduler(fitted["parameters"] if fitted else None, desired_retention)


def fit_and_save(store: Store) -> FitReport:
    """Fit FSRS to the whole log and save the parameters with what they came from; raises
    core.memory.NotEnoughReviews (and keeps the defaults) when the log is too small."""
    from mlprep.core.memory import fit

    report = fit(store.all_facts())
    store.set_meta(FSRS_PARAMETERS_KEY, report.to_dict())
    return report


def should_refit(store: Store) -> bool:
    """True when the log holds enough long-term reviews to fit and has grown by REFIT_GROWTH
    since the last fit (or was never fitted)."""
    from mlprep.core.memory import MIN_REVIEWS_TO_FIT, dated_items

    fitted = saved_fit(store)
    reviews = len(dated_items(store.all_facts()))
    if reviews < MIN_REVIEWS_TO_FIT:
        return False
    return fitted is None or reviews >= REFIT_GROWTH * fitted["reviews"]
