"""One line of a sync file: answers are written straight from their fields and read with the
checks written out inline (the two shortcuts a first sync of 50,000 answers needs). Both must
give exactly what the general path gives: the line json.dumps makes of `fact_to_line`, and the
fact (or the message) the documented format calls for."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlprep.interop import sync_folder
from mlprep.interop.sync_folder import fact_from_line, fact_to_line
from mlprep.storage.facts import AnswerFact, answer_fact

# Any text: quotes, backslashes, control characters, non-ASCII, astral characters.
text = st.text(min_size=1, max_size=12)
maybe_int = st.none() | st.integers(-(2**63), 2**63 - 1)

answers = st.builds(
    AnswerFact,
    device=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
    seq=st.integers(1, 2**63 - 1),
    card=text,
    ts=st.sampled_from(["2026-12-01T09:00:04.120+00:00", "2026-12-01T10:00:00Z"]),
    day=st.sampled_from(["2026-12-01", "2027-01-31"]),
    grade=st.integers(1, 4),
    quality=st.integers(0, 5),
    response_ms=st.none() | st.integers(0, 10**9),
    kind=text,
    source=text,
    seed=maybe_int,
    typed=st.none() | st.text(max_size=12),
    correct=st.none() | st.booleans(),
)


def general_line(fact: AnswerFact) -> str:
    """The line as the format defines it: the fact's fields (absent optional ones left out)
    as compact JSON, non-ASCII kept as it is."""
    return json.dumps(fact_to_line(fact), ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=300, deadline=None)
@given(answers)
def test_an_answer_is_written_as_json_would_write_it_and_read_back_the_same(fact):
    line = sync_folder._line(fact)
    assert line == general_line(fact)
    assert fact_from_line(json.loads(line)) == fact


def test_fields_of_other_types_are_left_to_json():
    """A value of a type the direct writer does not know (a float, a bool as a number) is
    still written as json.dumps writes it."""
    odd = AnswerFact("dev-a", 1, "c1", "2026-12-01T09:00:00.000+00:00", "2026-12-01", 3, 4, 1.5)
    assert sync_folder._line(odd) == general_line(odd)
    assert '"response_ms":1.5' in sync_folder._line(odd)
    flag = AnswerFact("dev-a", True, "c1", "2026-12-01T09:00:00.000+00:00", "2026-12-01", 3, 4)
    assert '"seq":true' in sync_folder._line(flag)


GOOD = {
    "type": "answer",
    "device": "laptop-3f9a2c1b",
    "seq": 41,
    "ts": "2026-12-01T09:00:04.120+00:00",
    "card": "adam-in-one-line",
    "day": "2026-12-01",
    "grade": 3,
    "quality": 4,
    "kind": "review",
    "source": "local",
    "response_ms": 4120,
}


def test_a_good_answer_line():
    assert fact_from_line(GOOD) == AnswerFact(
        "laptop-3f9a2c1b",
        41,
        "adam-in-one-line",
        "2026-12-01T09:00:04.120+00:00",
        "2026-12-01",
        3,
        4,
        4120,
        "review",
        "local",
    )
    # A time written otherwise is kept as written (merging brings it to the canonical form).
    other = {**GOOD, "ts": "2026-12-01T10:00:04+01:00"}
    assert fact_from_line(other).ts == "2026-12-01T10:00:04+01:00"


# Every field the answer checks look at, broken, and the message the format promises.
BAD = [
    ({"device": "no spaces"}, "'device' must be a device id ([A-Za-z0-9._-]), got 'no spaces'"),
    ({"device": 7}, "'device' must be a device id ([A-Za-z0-9._-]), got 7"),
    ({"seq": 0}, "'seq' must be a whole number from 1, got 0"),
    ({"seq": True}, "'seq' must be a whole number from 1, got True"),
    ({"seq": "41"}, "'seq' must be a whole number from 1, got '41'"),
    ({"ts": "2026-12-01T09:00:04"}, "'ts' must be an ISO 8601 time with a UTC offset"),
    ({"ts": 5}, "'ts' must be an ISO 8601 time with a UTC offset, got 5"),
    ({"day": "2026-13-01"}, "'day' must be a date (YYYY-MM-DD), got '2026-13-01'"),
    ({"day": 20261201}, "'day' must be a date (YYYY-MM-DD), got 20261201"),
    ({"grade": 0}, "'grade' must be 1-4, got 0"),
    ({"grade": 3.0}, "'grade' must be 1-4, got 3.0"),
    ({"quality": 6}, "'quality' must be 0-5, got 6"),
    ({"quality": False}, "'quality' must be 0-5, got False"),
    ({"response_ms": -1}, "'response_ms' must be a whole number of milliseconds, got -1"),
    ({"seed": "7"}, "'seed' must be a whole number, got '7'"),
    ({"typed": 3}, "'typed' must be a string, got 3"),
    ({"correct": 1}, "'correct' must be true or false, got 1"),
    ({"card": ""}, "'card' must be a non-empty string, got ''"),
    ({"card": "x" * 201}, "'card' must be a non-empty string"),
    ({"kind": None}, "'kind' must be a non-empty string, got None"),
    ({"kind": "k" * 41}, "'kind' must be a non-empty string"),
    ({"source": 1}, "'source' must be a non-empty string, got 1"),
    ({"source": "s" * 101}, "'source' must be a non-empty string"),
    ({"extra": 1}, "unknown key(s) extra in a answer fact"),
]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[m for _, m in BAD])
def test_each_bad_field_of_an_answer_is_named(change, message):
    with pytest.raises(ValueError) as caught:
        fact_from_line({**GOOD, **change})
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("key", ["device", "seq", "ts", "card", "day", "grade", "quality"])
def test_a_missing_field_is_named(key):
    line = {k: v for k, v in GOOD.items() if k != key}
    with pytest.raises(ValueError, match=f"^answer fact without {key}$"):
        fact_from_line(line)


def test_limits_are_inclusive():
    """The longest card id (200), kind (40) and source (100) are fine."""
    fact = fact_from_line({**GOOD, "card": "c" * 200, "kind": "k" * 40, "source": "s" * 100})
    assert (len(fact.card), len(fact.kind), len(fact.source)) == (200, 40, 100)


@settings(max_examples=100, deadline=None)
@given(answers)
def test_a_fact_made_without_init_is_the_same_fact(fact):
    """`answer_fact` skips the frozen dataclass's __init__ (the reading shortcut): the fact
    must still be equal, hash the same, print the same and stay frozen."""
    import dataclasses

    made = answer_fact(*(getattr(fact, f.name) for f in dataclasses.fields(AnswerFact)))
    assert made == fact and hash(made) == hash(fact) and repr(made) == repr(fact)
    assert dataclasses.astuple(made) == dataclasses.astuple(fact)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.seq = 1  # type: ignore[misc]
    assert dataclasses.replace(made, seq=1) == dataclasses.replace(fact, seq=1)
