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

__all__ = [
    "RELEARN_GAP",
    "PendingWrite",
    "RecordFailed",
    "Recorder",
    "ReviewSession",
    "SessionSummary",
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


@dataclass
class SessionSummary:
    answered: int = 0
    passed: int = 0
    seconds: float = 0.0
    due_tomorrow: int = 0
    cards: set[str] = field(default_factory=set)

    @property
    def accuracy(self) -> float | None:
        """The share of answers that passed (Hard or better), same-day repeats included."""
        return self.passed / self.answered if self.answered else None


@dataclass(frozen=True)
class Undone:
    """What `undo` took back: the card and the answer."""

    card_id: str
    answer: Answer


@dataclass
class _Snapshot:
    queue: list[QueueItem]
    review_id: int | None
    answer: Answer
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
    ):
        self.recorder = recorder
        self.queue = list(queue)
        self.today = today
        self.clock = clock
        self.policy = policy
        self.started = clock()
        self._history: list[_Snapshot] = []
        self.scope = scope  # the summary counts tomorrow's cards within it

    @property
    def current(self) -> QueueItem | None:
        return self.queue[0] if self.queue else None

    def counts(self) -> Counts:
        kinds = [q.kind for q in self.queue]
        return Counts(kinds.count("new"), kinds.count("relearn"), kinds.count("review"))

    @property
    def answered(self) -> int:
        return len(self._history)

    def skip(self) -> None:
        """Drop the current card without an answer (it left the deck, or cannot be shown)."""
        if self.queue:
            self.queue.pop(0)

    def preview(self, card_id: str, answers: list[Answer]) -> dict[Answer, str]:
        """What each answer would do, as Anki shows it above the grade buttons."""
        if not self.policy.moves_schedule:
            return dict.fromkeys(answers, "no change")
        state = self.recorder.state(card_id)
        days = preview(self.recorder.scheduler, state, self.today, answers)
        out = {}
        for answer, interval in days.items():
            if interval is None:  # a same-day repeat does not reschedule the card
                label = "again today" if answer.relearn else days_label(state.due - self.today)
            else:
                label = days_label(timedelta(days=interval))
                if answer.relearn:
                    label += " ↻"
            out[answer] = label
        return out

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
                kind=kind if self.policy.moves_schedule and kind else self.policy.log_kind,
                seed=seed,
                typed=typed,
                correct=correct,
            )
        except RecordFailed as exc:
            # Kept by the recorder: the session moves on as if it were saved, and the front
            # end (which gets the exception) says that it is not saved yet.
            self._advance(item, answer, _Snapshot(before, None, answer, exc.pending))
            raise
        self._advance(item, answer, _Snapshot(before, recorded.review_id, answer))
        return recorded

    def _advance(self, item: QueueItem, answer: Answer, snapshot: _Snapshot) -> None:
        self._history.append(snapshot)
        self.queue.pop(0)
        if answer.relearn:
            self.queue.insert(min(RELEARN_GAP, len(self.queue)), replace(item, kind="relearn"))

    @property
    def unsaved(self) -> list[str]:
        """The answers of this session that the recorder keeps but has not saved yet."""
        return [
            s.pending.description
            for s in self._history
            if s.pending is not None and not s.pending.done
        ]

    def undo(self) -> Undone | None:
        """Take back the last answer (log and state); its card is current again."""
        if not self._history:
            return None
        snap = self._history[-1]
        review_id = snap.saved_id
        if review_id is None and snap.pending is not None:
            self.recorder.discard(snap.pending)  # never reached the log: nothing to remove
        else:
            # Exactly the fact this session wrote, whatever other sessions wrote since. If the
            # recorder keeps the removal for later (RecordFailed), the answer is still undone.
            try:
                self.recorder.undo(review_id)
            except RecordFailed:
                self._undone(snap)
                raise
        return self._undone(snap)

    def _undone(self, snap: _Snapshot) -> Undone:
        self._history.pop()
        self.queue = snap.queue
        return Undone(snap.queue[0].card_id, snap.answer)

    def summary(self) -> SessionSummary:
        return SessionSummary(
            answered=len(self._history),
            passed=sum(s.answer.passed for s in self._history),
            seconds=(self.clock() - self.started).total_seconds(),
            due_tomorrow=self.recorder.count_due_on(self.today + timedelta(days=1), self.scope),
            cards={s.queue[0].card_id for s in self._history},
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
