"""A review session: answering, same-day relearning, undo and the summary, over a `Recorder`
port (the store implements it). It never prints, reads keys or runs queries itself; the
terminal and `--jsonl` front ends drive it through the methods below."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from mlprep.core.grades import Answer, Grade
from mlprep.core.queue import NORMAL, Counts, QueueItem, QueuePolicy
from mlprep.core.scheduling import CardState, Scheduler, preview
from mlprep.core.stats import RESPONSE_CAP_MS

__all__ = [
    "RELEARN_GAP",
    "GradePreview",
    "Kept",
    "PendingWrite",
    "RecordFailed",
    "Recorder",
    "ReviewSession",
    "SessionSummary",
    "Undone",
    "days_label",
]

# A card answered below Good comes back after this many other cards (or at the end).
RELEARN_GAP = 3


class PendingWrite(Protocol):
    """A fact a recorder could not save yet and keeps in memory: `description` names it (card
    and grade); once saved, `done` is True and `result` is what `record` would have returned."""

    description: str
    done: bool
    result: Any


class RecordFailed(Exception):
    """Raised by a Recorder that could not save a fact now (a locked, full or read-only
    database) but keeps it, as `pending`, to save before its next write. The message says
    why. The session counts the answer as given; the front end says it is not saved yet."""

    pending: PendingWrite


class Recorder(Protocol):
    """What a session needs from storage."""

    scheduler: Scheduler

    def record(
        self, card_id: str, answer: Answer, when: datetime, today: date, **fact: Any
    ) -> Any: ...

    def undo(self, review_id: int) -> str | None: ...

    def discard(self, pending: PendingWrite) -> None:
        """Forget a kept fact that was never saved (its answer was undone)."""

    def state(self, card_id: str) -> CardState | None: ...

    def count_due_on(self, day: date, scope: Any = None) -> int: ...

    def add_card_event(self, card_id: str, event: str, when: datetime) -> Any: ...


@dataclass
class SessionSummary:
    """`seconds` is the wall-clock length of the sitting; `answering_ms` is the time spent
    answering, each answer counted up to `RESPONSE_CAP_MS`: the definition `mlprep stats`
    uses for "Time answering", so the two agree."""

    answered: int = 0
    passed: int = 0
    seconds: float = 0.0
    due_tomorrow: int = 0
    cards: set[str] = field(default_factory=set)
    answering_ms: int = 0

    @property
    def accuracy(self) -> float | None:
        """The share of answers that passed (Hard or better), same-day repeats included."""
        return self.passed / self.answered if self.answered else None


@dataclass(frozen=True)
class Undone:
    """What `undo` took back: the card and the answer (with the drill seed it was given, so the
    same problem can be shown again), or a suspension (`event`, no answer)."""

    card_id: str
    answer: Answer | None
    seed: int | None = None
    event: str | None = None


@dataclass(frozen=True)
class Kept:
    """A write of this session that the recorder keeps in memory (`RecordFailed`): the answer
    `answer` to `card_id`, or with `undo` its removal. `saved` once the recorder made it."""

    card_id: str
    answer: Answer
    pending: PendingWrite
    undo: bool = False

    @property
    def saved(self) -> bool:
        return bool(self.pending.done)

    @property
    def description(self) -> str:
        return self.pending.description


@dataclass(frozen=True)
class GradePreview:
    """What one answer would do to the current card: the interval it gives (None: it does not
    reschedule, a same-day repeat), the label the grade bar shows, whether the card comes back
    today, and the ease before and after (None for a scheduler without one)."""

    answer: Answer
    interval: int | None
    label: str
    relearn: bool
    ease_before: float | None = None
    ease_after: float | None = None

    @property
    def ease_change(self) -> float | None:
        if self.ease_before is None or self.ease_after is None:
            return None
        return self.ease_after - self.ease_before


@dataclass
class _Snapshot:
    queue: list[QueueItem]
    review_id: int | None  # None: a card event (suspend), or an answer not saved yet
    answer: Answer | None
    seed: int | None = None
    response_ms: int | None = None
    event: str | None = None
    pending: PendingWrite | None = None  # the answer was kept unsaved by the recorder

    @property
    def saved_id(self) -> int | None:
        """The answer's review id once it is in the log, else None."""
        if self.pending is None:
            return self.review_id
        return self.pending.result.review_id if self.pending.done else None


class ReviewSession:
    """The queue for one sitting. `answer` records a grade; `undo` takes the last one back."""

    def __init__(
        self,
        recorder: Recorder,
        queue: list[QueueItem],
        today: date,
        clock: Callable[[], datetime],
        *,
        scope: Any = None,
        policy: QueuePolicy = NORMAL,
        time_budget: float | None = None,
        refill: Callable[[], list[QueueItem]] | None = None,
    ):
        """`time_budget`: seconds of answering left today (interview mode); the session ends
        once the answers' logged times use it up. `refill`: the queue to go on with when this
        one runs out before the budget does (interview mode plans again from the answers
        logged so far); an empty list ends the session."""
        self.recorder = recorder
        self.time_budget = time_budget
        self._refill = refill
        self.queue = list(queue)
        self.today = today
        self.clock = clock
        self.policy = policy
        self.started = clock()
        self._history: list[_Snapshot] = []
        self._kept: list[Kept] = []  # writes the recorder keeps, in the order they were made
        self.scope = scope  # the summary counts tomorrow's cards within it

    @property
    def current(self) -> QueueItem | None:
        if self.budget_spent:
            return None
        if not self.queue and self._refill is not None:
            answered = {snap.queue[0].card_id for snap in self._history if snap.queue}
            self.queue = [
                item
                for item in self._refill()
                if item.kind == "relearn" or item.card_id not in answered
            ]
            if not self.queue:
                self._refill = None  # nothing more worth doing today
        return self.queue[0] if self.queue else None

    @property
    def budget_spent(self) -> bool:
        """Interview mode: today's minutes are used up (the queue may hold more)."""
        if self.time_budget is None:
            return False
        spent = sum(min(s.response_ms or 0, 60_000) for s in self._history)
        return spent / 1000 >= self.time_budget

    def counts(self) -> Counts:
        kinds = [q.kind for q in self.queue]
        return Counts(kinds.count("new"), kinds.count("relearn"), kinds.count("review"))

    @property
    def answered(self) -> int:
        return len(self._answers())

    def _answers(self) -> list[_Snapshot]:
        return [snap for snap in self._history if snap.event is None]  # not a suspension

    def skip(self) -> None:
        """Drop the current card without an answer (it left the deck, or cannot be shown)."""
        if self.queue:
            self.queue.pop(0)

    def preview(self, card_id: str, answers: list[Answer]) -> dict[Answer, str]:
        """What each answer would do, as Anki shows it above the grade buttons: the interval,
        `↻` when the card comes back today (`1d ↻`: due tomorrow and back today)."""
        return {a: p.label for a, p in self.preview_grades(card_id, answers).items()}

    def preview_grades(self, card_id: str, answers: list[Answer]) -> dict[Answer, GradePreview]:
        """`preview` with the numbers behind it: interval and ease before and after."""
        if not self.policy.moves_schedule:
            return {a: GradePreview(a, None, "no change", False) for a in answers}
        scheduler = self.recorder.scheduler
        state = self.recorder.state(card_id)
        days = preview(scheduler, state, self.today, answers)
        before = state.memory if state is not None else scheduler.initial()
        ease_before = scheduler.ease(before)
        out = {}
        for answer, interval in days.items():
            if interval is None:  # a same-day repeat does not reschedule the card
                label, ease_after = days_label(state.due - self.today), ease_before
            else:
                label = days_label(timedelta(days=interval))
                elapsed = (self.today - state.last_day).days if state is not None else None
                ease_after = scheduler.ease(scheduler.review(before, answer, self.today, elapsed))
            if answer.relearn:
                label += " ↻"
            out[answer] = GradePreview(
                answer, interval, label, answer.relearn, ease_before, ease_after
            )
        return out

    def preview_days(self, card_id: str, answers: list[Answer]) -> dict[Answer, int | None]:
        """Days until due after each answer, as numbers; None where the answer would not
        reschedule the card (a same-day repeat, or any answer under a policy that moves no
        schedule)."""
        if not self.policy.moves_schedule:
            return dict.fromkeys(answers, None)
        return preview(self.recorder.scheduler, self.recorder.state(card_id), self.today, answers)

    def log_kind(self, kind: str | None = None) -> str:
        """The kind an answer is logged as: the one a front end names (a drill) where the
        policy moves schedules, otherwise the policy's own (cram)."""
        return kind if self.policy.moves_schedule and kind else self.policy.log_kind

    def answer(
        self,
        answer: Answer | Grade,
        *,
        response_ms: int | None = None,
        kind: str | None = None,
        seed: int | None = None,
        typed: str | None = None,
        correct: bool | None = None,
    ) -> Any:
        if isinstance(answer, Grade):
            answer = Answer.of(answer)
        item = self.current
        if item is None:
            raise IndexError("the session has no card left to answer")
        before = list(self.queue)
        try:
            recorded = self.recorder.record(
                item.card_id,
                answer,
                self.clock(),
                self.today,
                response_ms=response_ms,
                kind=self.log_kind(kind),
                seed=seed,
                typed=typed,
                correct=correct,
            )
        except RecordFailed as exc:
            # Kept by the recorder: the session moves on as if it were saved, and the front
            # end (which gets the exception) says that it is not saved yet.
            snapshot = _Snapshot(
                before, None, answer, seed=seed, response_ms=response_ms, pending=exc.pending
            )
            self._advance(item, answer, snapshot)
            self._kept.append(Kept(item.card_id, answer, exc.pending))
            raise
        snapshot = _Snapshot(before, recorded.review_id, answer, seed=seed, response_ms=response_ms)
        self._advance(item, answer, snapshot)
        return recorded

    def _advance(self, item: QueueItem, answer: Answer, snapshot: _Snapshot) -> None:
        self._history.append(snapshot)
        self.queue.pop(0)
        if answer.relearn:
            self.queue.insert(min(RELEARN_GAP, len(self.queue)), replace(item, kind="relearn"))

    @property
    def unsaved(self) -> list[str]:
        """The answers (and undos) of this session that the recorder keeps but has not saved
        yet, as the recorder names them."""
        return [k.description for k in self.kept]

    @property
    def kept(self) -> list[Kept]:
        """`unsaved`, each write with its card and answer: the front ends compare it before
        and after an answer to say which kept writes were saved with it."""
        self._kept = [k for k in self._kept if not k.saved]
        return list(self._kept)

    def suspend(self) -> str:
        """Suspend the current card (a card event in the log): it leaves this queue and every
        later one until unsuspended. `undo` takes it back."""
        item = self.current
        if item is None:
            raise IndexError("the session has no card to suspend")
        before = list(self.queue)
        self.recorder.add_card_event(item.card_id, "suspend", self.clock())
        self._history.append(_Snapshot(before, None, None, event="suspend"))
        self.queue = [q for q in self.queue if q.card_id != item.card_id]
        return item.card_id

    def undo(self) -> Undone | None:
        """Take back the last answer (log and state) or suspension; its card is current
        again."""
        if not self._history:
            return None
        snap = self._history[-1]
        if snap.event == "suspend":
            self.recorder.add_card_event(snap.queue[0].card_id, "unsuspend", self.clock())
            return self._undone(snap)
        review_id = snap.saved_id
        if review_id is None and snap.pending is not None:
            self.recorder.discard(snap.pending)  # never reached the log: nothing to remove
            self._kept = [k for k in self._kept if k.pending is not snap.pending]
        else:
            # Exactly the fact this session wrote, whatever other sessions wrote since. If the
            # recorder keeps the removal for later (RecordFailed), the answer is still undone.
            try:
                self.recorder.undo(review_id)
            except RecordFailed as exc:
                undone = self._undone(snap)
                assert undone.answer is not None  # a suspension's undo is not kept
                self._kept.append(Kept(undone.card_id, undone.answer, exc.pending, undo=True))
                raise
        return self._undone(snap)

    def _undone(self, snap: _Snapshot) -> Undone:
        self._history.pop()
        card_id = snap.queue[0].card_id
        self.queue = snap.queue
        return Undone(card_id, snap.answer, snap.seed, snap.event)

    def summary(self) -> SessionSummary:
        answers = self._answers()
        return SessionSummary(
            answered=len(answers),
            passed=sum(s.answer.passed for s in answers),
            seconds=(self.clock() - self.started).total_seconds(),
            due_tomorrow=self.recorder.count_due_on(self.today + timedelta(days=1), self.scope),
            cards={s.queue[0].card_id for s in answers},
            answering_ms=sum(max(0, min(s.response_ms or 0, RESPONSE_CAP_MS)) for s in answers),
        )


def days_label(delta: timedelta) -> str:
    days = delta.days
    if days <= 0:
        return "today"
    if days < 30:
        return f"{days}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")
