"""`mlprep review --jsonl`: the review loop as JSON Lines, for scripts and editor plug-ins.

mlprep writes one JSON object per line (an event: `card`, `recorded`, `unsaved`, `saved`,
`error`, `done`) and reads one per line (a request: a grade, a typed answer, undo or quit).
After each request the events end with `card` (waiting for an answer to that card) or `done`
(the session is over), so a client reads until one of them. `card` and `done` carry the
protocol's version (`PROTOCOL`); a version adds events and fields, never changes or removes one.
The README's `mlprep review` section documents the protocol.

This module only speaks it. The session decides what comes next, what an answer does to the
schedule and how it is logged; `core.grades` grades a typed drill answer; the drills package
makes and checks the problem of a computed card.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from mlprep.core.grades import DRILL_TRIES, Answer, Grade, drill_grade
from mlprep.core.session import RecordFailed, Undone

if TYPE_CHECKING:
    from datetime import date

    from mlprep.core.queue import QueueItem
    from mlprep.core.session import Kept, ReviewSession, SessionSummary
    from mlprep.decks.loader import Card
    from mlprep.drills import Problem
    from mlprep.drills.answers import CheckResult

__all__ = [
    "ACTIONS",
    "MAX_SECONDS",
    "PROTOCOL",
    "JsonlOutcome",
    "Request",
    "RequestError",
    "event_writer",
    "line_reader",
    "parse_request",
    "run_jsonl",
]

# The protocol's version, in `card` and `done`. 1: the first (no `protocol` key); 2: answers
# the database could not take yet (`unsaved`, `saved`, `done.unsaved`) and `done.sync`.
PROTOCOL = 2

# The keys a request line may carry: exactly one action, and `seconds` with an answer.
ACTIONS = ("grade", "quality", "answer", "undo", "quit")
ANSWERING = ("grade", "quality", "answer")
MAX_SECONDS = 86_400.0  # a response time longer than a day is a client's bug, not an answer

# Why a session ended, as the `done` event says.
FINISHED, QUIT, END_OF_INPUT, INTERRUPTED = "finished", "quit", "end of input", "interrupted"


class RequestError(ValueError):
    """A request line that cannot be applied to the current card; the message says why."""


@dataclass(frozen=True)
class Request:
    """One parsed request: the action, its value (an `Answer` for grade and quality, the
    typed text for answer) and the response time the client measured, if it sent one."""

    action: str
    value: Any = None
    seconds: float | None = None


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_request(line: bytes | str, *, expert: bool = False) -> Request | None:
    """Read one request line; None for a blank line. Raises RequestError for anything that
    is not a JSON object with exactly one known action of the right type."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestError("the line is not UTF-8 text") from None
    line = line.lstrip("\ufeff").strip()
    if not line:
        return None
    try:
        data = json.loads(line, parse_constant=_no_constants)
    except ValueError as exc:
        detail = (
            f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else exc
        )
        raise RequestError(f"not JSON: {detail}") from None
    if not isinstance(data, dict):
        raise RequestError('expected a JSON object, such as {"grade": "good"}')
    unknown = sorted(set(data) - {*ACTIONS, "seconds"})
    if unknown:
        raise RequestError(
            f"unknown key {unknown[0]!r}; a request has one of {', '.join(ACTIONS)} "
            "(and seconds with an answer)"
        )
    actions = [key for key in ACTIONS if key in data]
    if len(actions) != 1:
        raise RequestError(
            "a request has exactly one of grade, quality, answer, undo or quit"
            + (f"; got {', '.join(actions)}" if actions else "")
        )
    action = actions[0]
    seconds = _seconds(data["seconds"]) if "seconds" in data else None
    if seconds is not None and action not in ANSWERING:
        raise RequestError(f"seconds goes with an answer, not with {action}")
    value = data[action]
    if action in ("undo", "quit"):
        if value is not True:
            raise RequestError(f'{action} takes true: {{"{action}": true}}')
        return Request(action)
    if action == "grade":
        return Request(action, _grade(value, expert), seconds)
    if action == "quality":
        if not expert:
            raise RequestError("quality (SM-2 0-5) needs --expert; without it, send a grade")
        try:
            return Request(action, Answer.expert(value), seconds)
        except ValueError as exc:
            raise RequestError(str(exc)) from None
    return Request(action, _typed(value), seconds)


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"seconds must be a number, got {value!r}")
    if not 0 <= value <= MAX_SECONDS:
        raise RequestError(f"seconds must be between 0 and {MAX_SECONDS:.0f}, got {value!r}")
    return float(value)


def _grade(value: Any, expert: bool) -> Answer:
    hint = "; for an SM-2 quality send quality" if expert else ""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RequestError(f"expected a grade: again, hard, good, easy or 1-4; got {value!r}{hint}")
    try:
        return Answer.of(Grade.parse(str(value)))
    except ValueError as exc:
        raise RequestError(f"{exc}{hint}") from None


def _typed(value: Any) -> str:
    """A typed answer as text: a string as given; a JSON number or (nested) list of numbers
    in JSON syntax, which the answer parser reads."""
    if isinstance(value, str):
        return value
    if _numeric(value):
        return json.dumps(value)
    raise RequestError(
        f'answer is text such as "3/4" or "[1, 2]" (or a JSON number or list), got {value!r}'
    )


def _numeric(value: Any) -> bool:
    if isinstance(value, list):
        return all(_numeric(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class _Showing:
    """The card being answered: its computed problem, if any, and how the tries went."""

    item: QueueItem
    card: Card
    shown_at: float
    problem: Problem | None = None
    seed: int | None = None
    tries: int = 0  # typed answers checked so far (unreadable ones cost none)
    missed: CheckResult | None = None  # the last wrong try, shown with the next one
    typed: str | None = None


@dataclass(frozen=True)
class JsonlOutcome:
    summary: SessionSummary
    reason: str
    skipped: list[str] = field(default_factory=list)


def _name(grade: Grade) -> str:
    return grade.name.lower()


class _Loop:
    def __init__(
        self,
        session: ReviewSession,
        card_of: Callable[[str], Card | None],
        read_line: Callable[[], bytes | str | None],
        write: Callable[[dict[str, Any]], None],
        *,
        expert: bool,
        on_answered: Callable[[str], bool] | None,
        clock: Callable[[], float],
        new_seed: Callable[[], int] | None,
    ):
        self.session = session
        self.card_of = card_of
        self.read_line = read_line
        self.write = write
        self.expert = expert
        self.on_answered = on_answered
        self.clock = clock
        self.new_seed = new_seed
        self.skipped: list[str] = []

    def run(self) -> str:
        undone: Undone | None = None
        while (item := self.session.current) is not None:
            showing = self._show(item)
            if showing is None:
                continue
            self.write(self._card_event(showing, undone))
            undone = None
            result = self._answer(showing)
            if isinstance(result, str):
                return result
            undone = result
        return FINISHED

    def _show(self, item: QueueItem) -> _Showing | None:
        """The current card, with a fresh problem if it is computed; None when it had to be
        skipped (it left the deck, or its generator or params are broken)."""
        card = self.card_of(item.card_id)
        if card is None:
            self.session.skip()
            return None
        showing = _Showing(item, card, self.clock())
        if card.is_computed:
            from mlprep.app.drilling import DrillItem, DrillSetupError, problem_for, random_seed

            showing.seed = (self.new_seed or random_seed)()
            try:
                showing.problem = problem_for(
                    DrillItem(card.generator or "", card.params, card), showing.seed
                )
            except DrillSetupError as exc:
                self.session.skip()  # a broken computed card must not end the session
                self.skipped.append(str(exc))
                return None
        return showing

    def _answer(self, showing: _Showing) -> str | Undone | None:
        """Read requests until the card is answered (None), undone (what was undone) or the
        session ends (the reason)."""
        while True:
            line = self.read_line()
            if line is None:
                return END_OF_INPUT
            try:
                request = parse_request(line, expert=self.expert)
                if request is None:
                    continue
                if request.action == "quit":
                    return QUIT
                if request.action == "undo":
                    return self._undo()
                if request.action == "answer":
                    if not self._typed_answer(showing, request):
                        self.write(self._card_event(showing))  # a miss: one more try
                        continue
                    return None
                self._self_graded(showing, request)
                return None
            except RequestError as exc:
                self.write({"event": "error", "card": showing.card.id, "message": str(exc)})
                self.write(self._card_event(showing))

    def _undo(self) -> Undone:
        kept = self.session.kept
        try:
            undone = self.session.undo()
        except RecordFailed as exc:
            # Undone in the session; the removal is kept, to be made with the next write.
            self.report_saved(kept)
            removal = self.session.kept[-1]
            self.write(
                {
                    "event": "unsaved",
                    "card": removal.card_id,
                    "grade": _name(removal.answer.grade),
                    "quality": removal.answer.quality,
                    "undo": True,
                    "message": str(exc),
                    "kept": len(self.session.kept),
                }
            )
            return Undone(removal.card_id, removal.answer)
        self.report_saved(kept)
        if undone is None:
            raise RequestError("nothing to undo: no answer yet in this session")
        return undone

    def report_saved(self, kept: list[Kept]) -> None:
        """`saved`, when writes that were kept (`kept`, as they were before the last write)
        are in the log now."""
        saved = [k for k in kept if k.saved]
        if saved:
            self.write(
                {
                    "event": "saved",
                    "answers": [_kept_dict(k) for k in saved],
                    "kept": len(self.session.kept),
                }
            )

    def _typed_answer(self, showing: _Showing, request: Request) -> bool:
        """Check a typed answer; True once it is recorded, False after a miss with a try left."""
        from mlprep.drills.answers import check_answer

        if showing.problem is None:
            raise RequestError(
                f"{showing.card.id} is a {showing.card.type} card: answer it with a grade"
            )
        verdict = check_answer(showing.problem, request.value)
        if verdict.status == "invalid":
            raise RequestError(f"cannot read that answer: {verdict.message} (no try used)")
        showing.tries += 1
        if not verdict.correct and showing.tries < DRILL_TRIES:
            showing.missed, showing.typed = verdict, request.value
            return False
        grade = drill_grade(verdict.correct, showing.tries)
        self._record(
            showing,
            Answer.of(grade),
            request.seconds,
            drill=True,
            typed=request.value,
            correct=verdict.correct,
            verdict=verdict,
        )
        return True

    def _self_graded(self, showing: _Showing, request: Request) -> None:
        """A grade (or quality) as given. For a computed card after a wrong try it is a missed
        drill (logged with that try); before any try, a self-graded review of the problem."""
        missed = showing.missed
        self._record(
            showing,
            request.value,
            request.seconds,
            drill=missed is not None,
            typed=showing.typed,
            correct=False if missed is not None else None,
            verdict=missed,
        )

    def _record(
        self,
        showing: _Showing,
        answer: Answer,
        seconds: float | None,
        *,
        drill: bool,
        typed: str | None,
        correct: bool | None,
        verdict: CheckResult | None,
    ) -> None:
        if seconds is None:
            seconds = self.clock() - showing.shown_at
        response_ms = round(seconds * 1000)
        card_id = showing.card.id
        kind = "drill" if drill else None
        kept = self.session.kept
        event: dict[str, Any] = {
            "event": "recorded",
            "card": card_id,
            "grade": _name(answer.grade),
            "quality": answer.quality,
            "kind": self.session.log_kind(kind),
        }
        try:
            recorded = self.session.answer(
                answer,
                response_ms=response_ms,
                kind=kind,
                seed=showing.seed,
                typed=typed,
                correct=correct,
            )
        except RecordFailed as exc:
            # The session took the answer and goes on; the store keeps it, to save it with
            # the next write (or when the session ends), and `done` names it if it never can.
            recorded, message = None, str(exc)
            event.update(event="unsaved", undo=False)
        self.report_saved(kept)
        if recorded is not None:
            state = recorded.state
            event["scheduled"] = recorded.scheduled
            event["due"] = state.due.isoformat() if state is not None else None
            event["interval"] = state.interval if state is not None else None
        event["relearn"] = any(q.card_id == card_id for q in self.session.queue)
        event["seconds"] = response_ms / 1000
        if showing.problem is not None:
            from mlprep.drills.answers import format_answer

            event["attempts"] = showing.tries
            event["verdict"] = verdict.to_dict() if verdict is not None else None
            event["expected"] = format_answer(showing.problem)
            event["solution"] = list(showing.problem.solution)
        if recorded is None:
            event["message"] = message
            event["kept"] = len(self.session.kept)
        else:  # a leech is judged from the log, which holds this answer only once it is saved
            event["leech"] = bool(self.on_answered(card_id)) if self.on_answered else False
        self.write(event)

    def _card_event(self, showing: _Showing, undone: Undone | None = None) -> dict[str, Any]:
        session, card, item = self.session, showing.card, showing.item
        event: dict[str, Any] = {
            "event": "card",
            "protocol": PROTOCOL,
            "card": card.id,
            "kind": item.kind,
            "type": card.type,
            "deck": card.deck,
            "tags": list(card.tags),
            "level": card.level,
            "q": card.q,
        }
        if showing.problem is not None:
            event["problem"] = showing.problem.public_dict()
            event["attempt"] = showing.tries + 1
            event["max_attempts"] = DRILL_TRIES
            if showing.missed is not None:
                # What the last try was and why it missed, but not the expected answer yet.
                missed = showing.missed
                event["missed"] = {
                    "typed": showing.typed,
                    "status": missed.status,
                    "message": missed.message,
                }
        else:
            event["a"] = card.a
        grades = [Answer.of(grade) for grade in Grade]
        days = session.preview_days(card.id, grades)
        labels = session.preview(card.id, grades)
        event["preview"] = {_name(a.grade): days[a] for a in grades}
        event["preview_labels"] = {_name(a.grade): labels[a] for a in grades}
        if self.expert:
            qualities = [Answer.expert(q) for q in range(6)]
            days = session.preview_days(card.id, qualities)
            labels = session.preview(card.id, qualities)
            event["quality_preview"] = {str(a.quality): days[a] for a in qualities}
            event["quality_labels"] = {str(a.quality): labels[a] for a in qualities}
        counts = session.counts()
        event["remaining"] = {
            "new": counts.new,
            "relearn": counts.relearn,
            "review": counts.review,
        }
        event["answered"] = session.answered
        if undone is not None:
            event["undone"] = {
                "card": undone.card_id,
                "grade": _name(undone.answer.grade),
                "quality": undone.answer.quality,
            }
        return event


def run_jsonl(
    session: ReviewSession,
    card_of: Callable[[str], Card | None],
    read_line: Callable[[], bytes | str | None],
    write: Callable[[dict[str, Any]], None],
    *,
    expert: bool = False,
    on_answered: Callable[[str], bool] | None = None,
    next_due: Callable[[], date | None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    new_seed: Callable[[], int] | None = None,
    finish: Callable[[], dict[str, Any] | None] | None = None,
) -> JsonlOutcome:
    """Drive `session` from request lines until its queue is empty, the client quits or the
    input ends; then write `done`. `read_line` returns None at the end of input; `card_of`
    looks a card up (None once it left the deck); `on_answered` says whether the answer just
    recorded made the card a leech; `next_due` gives the next due date after today for the
    summary; `new_seed` seeds computed cards' problems (default: random). `finish` ends the
    session once the summary is taken: the end-of-review sync and the store's last try at the
    answers kept unsaved; it returns `done`'s `sync` (None: no sync). Answers it saved are
    reported (`saved`), and `done` names those still unsaved."""
    loop = _Loop(
        session,
        card_of,
        read_line,
        write,
        expert=expert,
        on_answered=on_answered,
        clock=clock,
        new_seed=new_seed,
    )
    try:
        reason = loop.run()
    except KeyboardInterrupt:
        reason = INTERRUPTED
    summary = session.summary()
    upcoming = next_due() if next_due is not None else None
    kept = session.kept
    sync = finish() if finish is not None else None
    loop.report_saved(kept)
    write(
        {
            "event": "done",
            "protocol": PROTOCOL,
            "reason": reason,
            "summary": {
                "answered": summary.answered,
                "passed": summary.passed,
                "accuracy": summary.accuracy,
                "cards": len(summary.cards),
                # Time answering (each answer up to 60 s), as the screen and `stats` count
                # it; the sitting's wall-clock length beside it.
                "seconds": round(summary.answering_ms / 1000, 3),
                "wall_seconds": round(summary.seconds, 3),
                "due_tomorrow": summary.due_tomorrow,
                "next_due": upcoming.isoformat() if upcoming is not None else None,
            },
            "skipped": list(loop.skipped),
            "unsaved": [_kept_dict(k) for k in session.kept],
            "sync": sync,
        }
    )
    return JsonlOutcome(summary, reason, loop.skipped)


def _kept_dict(kept: Kept) -> dict[str, Any]:
    """A write kept unsaved, as `saved` and `done` list it: the answer (or, with `undo`, its
    removal) and the store's name for it, which stderr uses too."""
    return {
        "card": kept.card_id,
        "grade": _name(kept.answer.grade),
        "quality": kept.answer.quality,
        "undo": kept.undo,
        "description": kept.description,
    }


def line_reader(stream: IO[Any]) -> Callable[[], bytes | str | None]:
    """Lines from `stream` (its bytes where it has them), None at the end of input. Each
    call returns as soon as a whole line has arrived, so a client can wait for the reply."""
    source = getattr(stream, "buffer", stream)

    def read() -> bytes | str | None:
        line = source.readline()
        return line if line else None

    return read


def event_writer(stream: IO[Any]) -> Callable[[dict[str, Any]], None]:
    """Write each event as one line of UTF-8 JSON and flush it at once."""
    sink = getattr(stream, "buffer", None)

    def write(event: dict[str, Any]) -> None:
        text = json.dumps(event, ensure_ascii=False) + "\n"
        if sink is None:
            stream.write(text)
            stream.flush()
            return
        stream.flush()  # nothing written as text may come after this line
        sink.write(text.encode("utf-8"))
        sink.flush()

    return write
