"""The answer parser and checker: accepted syntax, invalid input, grading edge cases."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from mlprep.drills.answers import (
    MAX_ANSWER_CHARS,
    CheckResult,
    InvalidAnswer,
    check_answer,
    describe_shape,
    format_answer,
    parse_answer,
)
from mlprep.drills.format import fmt_array
from mlprep.drills.problem import Problem

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_problem(answer: Any, *, rtol: float = 1e-2, atol: float = 1e-6) -> Problem:
    value = np.asarray(answer, dtype=float)
    return Problem(
        generator="test",
        seed=0,
        params={},
        topic="test",
        prompt="test problem",
        data={},
        answer=float(value) if value.ndim == 0 else value,
        shape=value.shape,
        solution=(),
        rtol=rtol,
        atol=atol,
    )


# --- accepted syntax ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.75", 0.75),
        ("  0.75\n", 0.75),
        ("3/4", 0.75),
        ("-3/4", -0.75),
        ("3 / -4", -0.75),
        ("-1.2e-3", -1.2e-3),
        ("1E5", 1e5),
        ("+2", 2.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("\u22122", -2.0),  # Unicode minus
        ("\u20132.5", -2.5),  # en dash
        ("\u2014 1", None),  # a dash alone is not a number: invalid (checked below)
        ("1.5e\u22123", 1.5e-3),
        ("[1, 2]", [1.0, 2.0]),
        ("1 2", [1.0, 2.0]),
        ("1, 2", [1.0, 2.0]),
        ("1,2", [1.0, 2.0]),
        ("(1, 2)", [1.0, 2.0]),
        ("[1 2]", [1.0, 2.0]),
        ("[1. 2.]", [1.0, 2.0]),  # numpy's print style
        ("[1/2, -3/4]", [0.5, -0.75]),
        ("[\u22121, \u22122]", [-1.0, -2.0]),
        ("[5]", [5.0]),
        ("[1, 2,]", [1.0, 2.0]),
        ("[[1, 2], [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[[1, 2],\n [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[[1. 2.]\n [3. 4.]]", [[1.0, 2.0], [3.0, 4.0]]),
        ("1 2; 3 4", [[1.0, 2.0], [3.0, 4.0]]),
        ("1 2;3 4;", [[1.0, 2.0], [3.0, 4.0]]),
        ("1 2\n3 4", [[1.0, 2.0], [3.0, 4.0]]),
        ("1 2\r\n3 4\r\n", [[1.0, 2.0], [3.0, 4.0]]),
        ("1 2\n\n3 4", [[1.0, 2.0], [3.0, 4.0]]),
        ("[1 2; 3 4]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[1, 2]; [3, 4]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[1, 2]\n[3, 4]", [[1.0, 2.0], [3.0, 4.0]]),
        ("((1, 2), (3, 4))", [[1.0, 2.0], [3.0, 4.0]]),
        ("[[1/2, 0], [0, 1/3]]", [[0.5, 0.0], [0.0, 1 / 3]]),
        ("[[5]]", [[5.0]]),
        ("1; 2", [[1.0], [2.0]]),
    ],
)
def test_accepted_syntax(text: str, expected: Any) -> None:
    if expected is None:
        with pytest.raises(InvalidAnswer):
            parse_answer(text)
        return
    value = parse_answer(text)
    want = np.asarray(expected, dtype=float)
    assert value.shape == want.shape
    assert value.dtype == np.float64
    np.testing.assert_array_equal(value, want)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("[]", "empty"),
        ("[[], []]", "empty"),
        ("abc", "numbers only"),
        ("x = 3", "numbers only"),
        ("nan", "NaN"),
        ("NaN", "NaN"),
        ("inf", "infinity"),
        ("-Infinity", "infinity"),
        ("[1, nan]", "NaN"),
        ("1e999", "too large"),
        ("1e308/1e-308", "too large"),
        ("1/0", "division by zero"),
        ("1/2/3", "one '/'"),
        ("/2", "'/'"),
        ("1/", "after '/'"),
        ("[1, 2", "missing"),
        ("1, 2]", "unmatched"),
        ("[1, 2)", "unmatched"),
        ("1,,2", "empty entry"),
        (", 1", "empty entry"),
        ("1-2", "separate numbers"),
        ("1.2.3", "separate numbers"),
        ("[[1, 2], [3]]", "different lengths"),
        ("1 2; 3", "different lengths"),
        ("[1, [2, 3]]", "mixed"),
        ("[[[1]]]", "nested"),
        ("[[1], [2]] [[3], [4]]", "nested"),
        ("1 * 2", "unexpected character"),
        ("12%", "unexpected character"),
        ("- 2", "unexpected character"),
        ("0" * (MAX_ANSWER_CHARS + 1), "too long"),
    ],
)
def test_invalid_text_explained(text: str, reason: str) -> None:
    with pytest.raises(InvalidAnswer) as excinfo:
        parse_answer(text)
    assert reason.lower() in str(excinfo.value).lower()
    assert isinstance(excinfo.value, ValueError)


def test_deep_nesting_does_not_recurse() -> None:
    with pytest.raises(InvalidAnswer, match="nested"):
        parse_answer("[" * 4_000 + "]" * 4_000)


# --- round trips (hypothesis) ------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
moderate = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
shapes = array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=5)


@FUZZ
@given(arrays(np.float64, shapes, elements=moderate), st.integers(0, 8))
def test_fmt_array_round_trips(value: np.ndarray, digits: int) -> None:
    parsed = parse_answer(fmt_array(value, digits))
    assert parsed.shape == value.shape
    # fmt_array rounds to `digits` decimals: the text is within half a unit of the value
    slack = 0.5 * 10.0**-digits * (1 + 1e-9) + 1e-12 * np.abs(value)
    assert np.all(np.abs(parsed - value) <= slack)


def _render(value: np.ndarray, style: str, sep: str) -> str:
    """`value` in one of the accepted syntaxes, every number written with repr (exact)."""
    if value.ndim == 0:
        return repr(float(value))

    def row(r: np.ndarray) -> str:
        return sep.join(repr(float(v)) for v in r)

    if value.ndim == 1:
        return {"brackets": f"[{row(value)}]", "parens": f"({row(value)})", "bare": row(value)}[
            style
        ]
    rows = [row(r) for r in value]
    return {
        "brackets": "[" + ", ".join(f"[{r}]" for r in rows) + "]",
        "parens": "(" + ", ".join(f"({r})" for r in rows) + ")",
        "bare": "; ".join(rows),
        "lines": "\n".join(rows),
        "matlab": "[" + "; ".join(rows) + "]",
        "bracketed_rows": "\n".join(f"[{r}]" for r in rows),
        "numpy": "[" + "\n ".join(f"[{r}]" for r in rows) + "]",
    }[style]


@st.composite
def rendered_arrays(draw: st.DrawFn) -> tuple[np.ndarray, str]:
    value = draw(arrays(np.float64, shapes, elements=finite))
    sep = draw(st.sampled_from([", ", ",", " ", "  ", "\t", " , "]))
    if value.ndim == 0:
        style = "scalar"
    elif value.ndim == 1:
        # a bare single number reads as a scalar, so bare vectors need 2+ entries
        style = draw(st.sampled_from(["brackets", "parens"] + ["bare"] * (value.size > 1)))
    else:
        styles = ["brackets", "parens", "numpy"]
        if value.shape[0] > 1:  # a single row without its own outer brackets reads as a vector
            styles += ["bare", "lines", "matlab", "bracketed_rows"]
        style = draw(st.sampled_from(styles))
        if style == "numpy" and sep.strip() == ",":
            sep = " "
    text = _render(value, style, sep)
    if draw(st.booleans()):
        text = text.replace("-", "\u2212")
    pad = draw(st.sampled_from(["", " ", "\n", "  \t"]))
    return value, pad + text + pad


@FUZZ
@given(rendered_arrays())
def test_accepted_syntaxes_round_trip_exactly(case: tuple[np.ndarray, str]) -> None:
    value, text = case
    parsed = parse_answer(text)
    assert parsed.shape == value.shape
    np.testing.assert_array_equal(parsed, value)


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6).filter(bool)),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
)
def test_fractions_parse_to_their_quotient(pairs: list[tuple[int, int]], unicode: bool) -> None:
    text = "[" + ", ".join(f"{p}/{q}" for p, q in pairs) + "]"
    if unicode:
        text = text.replace("-", "\u2212")
    np.testing.assert_array_equal(parse_answer(text), [p / q for p, q in pairs])


def _parse_or_invalid(text: str) -> None:
    try:
        value = parse_answer(text)
    except InvalidAnswer as exc:
        assert str(exc)
        return
    assert isinstance(value, np.ndarray)
    assert value.ndim <= 2 and value.size >= 1
    assert np.isfinite(value).all()


@FUZZ
@given(st.text())
def test_arbitrary_text_parses_or_is_invalid(text: str) -> None:
    _parse_or_invalid(text)


answer_like = st.text(alphabet=st.sampled_from(list("0123456789.eE+-\u2212/[](),; \n\t")))


@FUZZ
@given(answer_like)
def test_answer_like_text_parses_or_is_invalid(text: str) -> None:
    _parse_or_invalid(text)


PROBLEMS = [
    make_problem(0.0, atol=1e-2),
    make_problem([1.0, -2.0, 3.0]),
    make_problem([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
    make_problem([[1.0, 2.0], [3.0, 4.0]]),
]


@FUZZ
@given(st.one_of(st.text(), answer_like), st.sampled_from(PROBLEMS))
def test_check_answer_never_raises(text: str, problem: Problem) -> None:
    result = check_answer(problem, text)
    assert result.status in ("correct", "wrong", "invalid")
    assert result.message
    assert result.expected == format_answer(problem)


# --- checker edge cases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [("0", "correct"), ("-0", "correct"), ("0.001", "correct"), ("-0.009", "correct"),
     ("0.5", "wrong"), ("0.02", "wrong"), ("1/2", "wrong")],
)  # fmt: skip
def test_answer_of_zero_uses_atol(text: str, status: str) -> None:
    assert check_answer(make_problem(0.0, atol=1e-2), text).status == status


def test_tolerance_is_atol_plus_rtol() -> None:
    problem = make_problem([100.0, 0.0], rtol=1e-2, atol=1e-3)
    assert check_answer(problem, "[100.9, 0.0009]").status == "correct"
    assert check_answer(problem, "[101.2, 0]").status == "wrong"
    assert check_answer(problem, "[100, 0.002]").status == "wrong"


def test_wrong_message_names_the_entries() -> None:
    vector = make_problem([1.0, 2.0, 3.0])
    result = check_answer(vector, "[1, 5, 3]")
    assert result.status == "wrong"
    # Positions read as positions (#2), never as values; each with what was typed there.
    assert result.message == "1 of 3 entries is off: #2 (you typed 5)"
    result = check_answer(vector, "[0, 2, 0]")
    assert result.message == "2 of 3 entries are off: #1 (you typed 0), #3 (you typed 0)"

    matrix = make_problem([[1.0, 2.0], [3.0, 4.0]])
    result = check_answer(matrix, "1 2; 4 4")
    assert result.status == "wrong"
    assert "(row 2, col 1)" in result.message

    scalar = check_answer(make_problem(0.75), "0.7")
    assert scalar.status == "wrong" and "0.7" in scalar.message


def test_wrong_message_lists_a_few_entries() -> None:
    result = check_answer(make_problem(np.arange(1.0, 11.0)), "[0 0 0 0 0 0 0 0 0 0]")
    assert result.status == "wrong"
    assert "10 of 10 entries" in result.message and "6 more" in result.message


@pytest.mark.parametrize(
    ("answer", "text", "message"),
    [
        ([1.0, 2.0, 3.0], "[1, 2]", "expected a vector of 3 numbers, got 2"),
        ([1.0, 2.0, 3.0], "1 2 3 4", "expected a vector of 3 numbers, got 4"),
        ([1.0, 2.0, 3.0], "7", "expected a vector of 3 numbers, got 1"),
        ([1.0, 2.0], "1 2; 3 4", "expected a vector of 2 numbers, got a 2×2 matrix"),
        (0.5, "[1, 2]", "expected one number, got a vector of 2 numbers"),
        ([[1.0, 2.0], [3.0, 4.0]], "1 2 3 4", "expected a 2×2 matrix (rows separated"),
        ([[1.0, 2.0], [3.0, 4.0]], "1 2", "expected a 2×2 matrix, got a vector of 2"),
        ([[1.0, 2.0], [3.0, 4.0]], "1 2 3; 4 5 6", "expected a 2×2 matrix, got a 2×3 matrix"),
    ],
)
def test_shape_mismatch_is_invalid_and_explained(answer: Any, text: str, message: str) -> None:
    result = check_answer(make_problem(answer), text)
    assert result.status == "invalid"
    assert message in result.message


@pytest.mark.parametrize("text", ["[1, 2, 3]", "[[1, 2, 3]]", "1; 2; 3", "[[1], [2], [3]]"])
def test_row_or_column_matrix_is_accepted_for_a_vector(text: str) -> None:
    assert check_answer(make_problem([1.0, 2.0, 3.0]), text).status == "correct"


@pytest.mark.parametrize("text", ["0.75", "[0.75]", "[[0.75]]", "3/4", "(3/4)"])
def test_scalar_accepts_a_one_element_vector(text: str) -> None:
    assert check_answer(make_problem(0.75), text).status == "correct"


def test_one_element_vector_accepts_a_scalar() -> None:
    assert check_answer(make_problem([2.5]), "2.5").status == "correct"


def test_transposed_matrix_is_invalid_with_a_hint() -> None:
    problem = make_problem([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    result = check_answer(problem, "[[1, 4], [2, 5], [3, 6]]")
    assert result.status == "invalid"
    assert "expected a 2×3 matrix, got a 3×2 matrix" in result.message
    assert "looks transposed?" in result.message
    assert check_answer(problem, "1 2 3; 4 5 6").status == "correct"


def test_transposed_square_matrix_is_just_compared() -> None:
    problem = make_problem([[1.0, 2.0], [3.0, 4.0]])
    result = check_answer(problem, "[[1, 3], [2, 4]]")
    assert result.status == "wrong"
    assert "transposed" not in result.message
    symmetric = make_problem([[2.0, 1.0], [1.0, 2.0]])
    assert check_answer(symmetric, "[[2, 1], [1, 2]]").status == "correct"


def test_fractions_and_unicode_minus_are_graded() -> None:
    assert check_answer(make_problem(0.75), "3/4").status == "correct"
    assert check_answer(make_problem([0.5, -0.75]), "[1/2, \u22123/4]").status == "correct"
    assert check_answer(make_problem(-2.0), "\u22122").status == "correct"
    assert check_answer(make_problem(-2.0), "\u2212 2").status == "invalid"
    assert check_answer(make_problem(2.0), "\u22122").status == "wrong"
    assert check_answer(make_problem(1 / 3, rtol=0, atol=1e-9), "1/3").status == "correct"


@pytest.mark.parametrize("text", ["nan", "inf", "[1, inf]", "1e400", "abc", "", "[1, 2"])
def test_unreadable_input_is_invalid_never_wrong(text: str) -> None:
    result = check_answer(make_problem([1.0, 2.0]), text)
    assert result.status == "invalid"
    assert result.message


def test_rounding_to_the_asked_decimals_is_correct() -> None:
    # "round to 3 decimals": atol covers half a unit in the last place
    problem = make_problem(2 / 3, rtol=0.0, atol=1e-3)
    assert check_answer(problem, "0.667").status == "correct"
    assert check_answer(problem, "0.6667").status == "correct"
    assert check_answer(problem, "0.67").status == "wrong"
    assert check_answer(problem, "0.665").status == "wrong"


@FUZZ
@given(
    arrays(np.float64, shapes, elements=st.floats(-1e4, 1e4, allow_nan=False)),
    st.integers(1, 6),
)
def test_any_answer_rounded_to_the_asked_decimals_is_correct(value: np.ndarray, k: int) -> None:
    problem = make_problem(value, rtol=0.0, atol=10.0**-k)
    typed = np.round(value, k)
    assert check_answer(problem, fmt_array(typed, k)).status == "correct"


@FUZZ
@given(
    arrays(np.float64, shapes, elements=st.floats(-1e6, 1e6, allow_nan=False)),
    st.sampled_from([0.0, 1e-2]),
    st.sampled_from([1e-9, 1e-6, 1e-4, 1e-2, 0.5]),
)
def test_expected_text_is_graded_correct(value: np.ndarray, rtol: float, atol: float) -> None:
    problem = make_problem(value, rtol=rtol, atol=atol)
    result = check_answer(problem, format_answer(problem))
    assert result.status == "correct", result
    assert result.expected == format_answer(problem)


def test_format_answer_is_copyable_text() -> None:
    assert format_answer(make_problem(0.75)) == "0.75"
    assert format_answer(make_problem([1.0, -2.5])) == "[1, -2.5]"
    assert format_answer(make_problem([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2],\n [3, 4]]"
    # a tolerance tighter than 4 decimals gets more digits
    assert format_answer(make_problem(1 / 3, rtol=0.0, atol=1e-7)) == "0.3333333"


def test_check_result_to_dict() -> None:
    result = check_answer(make_problem(0.75), "3/4")
    assert result == CheckResult("correct", "correct", "0.75")
    assert result.to_dict() == {"status": "correct", "message": "correct", "expected": "0.75"}
    assert result.correct


def test_describe_shape() -> None:
    assert describe_shape(()) == "one number"
    assert describe_shape((1,)) == "a vector of 1 number"
    assert describe_shape((3,)) == "a vector of 3 numbers"
    assert describe_shape((2, 3)) == "a 2×3 matrix"


def test_parse_is_not_eval() -> None:
    for text in ["__import__('os')", "2**3", "1+1", "[1, 2][0]", "math.pi"]:
        with pytest.raises(InvalidAnswer):
            parse_answer(text)
    assert math.isclose(float(parse_answer("22/7")), 22 / 7)


# --- exact (integer) answers -------------------------------------------------------------------


def exact_problem(answer: Any) -> Problem:
    value = np.asarray(answer, dtype=float)
    return Problem(
        prompt="count",
        data={},
        answer=float(value) if value.ndim == 0 else value,
        shape=value.shape,
        solution=(),
        rtol=0.0,
        atol=0.0,
        exact=True,
    )


@pytest.mark.parametrize(
    ("answer", "text", "status"),
    [
        (1_000_000.0, "1000000", "correct"),
        (1_000_000.0, "1e6", "correct"),
        (1_000_000.0, "1000001", "wrong"),  # a 1e-2 relative tolerance would have passed it
        (1_000_000.0, "999999.5", "invalid"),
        (0.0, "0", "correct"),
        (0.0, "1", "wrong"),
        ([3.0, 32.0, 32.0], "3 32 32", "correct"),
        ([3.0, 32.0, 32.0], "3 32 31", "wrong"),
        ([3.0, 32.0, 32.0], "3 32.5 32", "invalid"),
    ],
)
def test_exact_answers_accept_only_the_integer(answer: Any, text: str, status: str) -> None:
    result = check_answer(exact_problem(answer), text)
    assert result.status == status, result.message
    if status == "invalid":
        assert "whole numbers" in result.message


def test_exact_expected_answer_prints_without_decimals() -> None:
    assert format_answer(exact_problem(123456789.0)) == "123456789"
    assert format_answer(exact_problem([3.0, 16.0])) == "[3, 16]"
    assert exact_problem(4.0).to_dict()["exact"] is True


def test_make_problem_requires_a_tolerance_unless_exact() -> None:
    from mlprep.drills.common import make_problem as build

    fields = {"prompt": "p", "data": {}, "answer": 2.0, "solution": ["s"], "answer_format": "n"}
    with pytest.raises(ValueError, match="atol"):
        build(**fields)
    assert build(**fields, exact=True).atol == 0.0
