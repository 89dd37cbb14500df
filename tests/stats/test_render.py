"""The stats sections drawn with rich at 80 and 160 columns, and with NO_COLOR."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from mlprep.core.stats import Forecast, StatsReport
from mlprep.storage.reports import compute_report
from mlprep.storage.store import Store
from mlprep.term.stats import (
    BAR_EIGHTHS,
    LEVEL_CHARS,
    build_counts,
    build_drills,
    build_first_run,
    build_forecast,
    build_heatmap,
    build_leeches,
    build_report,
    build_retention,
    build_streaks,
    build_time,
    build_topics,
)

from .stats_history import LEECH_THRESHOLD, TODAY

WIDTHS = (80, 160)
BUILDERS = (
    build_heatmap,
    build_forecast,
    build_counts,
    build_retention,
    build_streaks,
    build_time,
    build_topics,
    build_drills,
    build_leeches,
    build_report,
)


@pytest.fixture
def report(home: Path) -> StatsReport:
    with Store(home / "mlprep.db") as store:
        return compute_report(store.conn, TODAY, leech_threshold=LEECH_THRESHOLD)


def render(renderable, width: int = 80, **console_args) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, **console_args)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def inner(line: str) -> str:
    """The content of a panel line, without its borders and padding."""
    return line[2:-2] if line.startswith("│ ") else line


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_every_section_fits(report: StatsReport, builder, width: int):
    out = render(builder(report), width)
    lines = out.splitlines()
    assert lines and all(len(line) <= width for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_heatmap_cells_match_the_report(report: StatsReport, width: int):
    lines = render(build_heatmap(report), width).splitlines()
    rows = [inner(line) for line in lines if inner(line)[:3] in ("Mon", "Tue", "Wed", "Thu")]
    rows += [inner(line) for line in lines if inner(line)[:3] in ("Fri", "Sat", "Sun")]
    assert [r[:3] for r in rows] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    hm = report.heatmap
    for entry in hm.days:
        week, weekday = divmod((entry.day - hm.start).days, 7)
        assert rows[weekday][4 + 2 * week] == LEVEL_CHARS[entry.level], entry
    # Friday is today: Saturday and Sunday of this week are blank, not "no answer".
    assert rows[5][4 + 2 * 25] == " " and rows[4][4 + 2 * 25] != " "
    months = next(inner(line) for line in lines if "Jun" in line)
    assert re.search(r"Jun\s+Jul\s+Aug\s+Sep\s+Oct\s+Nov", months)
    legend = next(inner(line) for line in lines if "answers/day" in line)
    for level, bounds in enumerate(hm.level_ranges(), start=1):
        low, high = bounds
        assert f"{LEVEL_CHARS[level]} {low}–{high}" in legend or (
            low == high and f"{LEVEL_CHARS[level]} {low}" in legend
        )


def _bar_columns(out: str, n: int) -> list[int]:
    """Total eighths drawn in each of the forecast's n columns."""
    lines = [inner(line) for line in out.splitlines()]
    top = next(i for i, line in enumerate(lines) if "┤" in line)
    base = next(i for i, line in enumerate(lines) if "└" in line)
    axis = lines[top].index("┤") + 1
    width = len(lines[base]) - axis
    chart = lines[top:base]
    cell = (len(lines[base].rstrip()) - axis) // n
    assert cell >= 1 and width >= n
    totals = []
    for i in range(n):
        col = axis + i * cell
        totals.append(sum(BAR_EIGHTHS.index(row[col]) if col < len(row) else 0 for row in chart))
    return totals


@pytest.mark.parametrize("width", WIDTHS)
def test_forecast_bars_are_one_block_per_card_when_few(report: StatsReport, width: int):
    fc = report.forecast
    assert max(fc.due) <= 8
    out = render(build_forecast(report), width)
    assert [t // 8 for t in _bar_columns(out, 30)] == list(fc.due)
    text = " ".join(out.split())
    assert f"today {fc.due[0]} ({fc.overdue} overdue) · tomorrow {fc.due[1]}" in text
    assert f"next 7 days {sum(fc.due[:7])}" in text and f"next 30 days {fc.total}" in text


def test_forecast_scales_big_days_with_eighth_blocks(report: StatsReport):
    due = (40, 20, 0, 5) + (1,) * 26
    big = dataclasses.replace(report, forecast=Forecast(TODAY, due, 3))
    totals = _bar_columns(render(build_forecast(big), 80), 30)
    assert totals == [64, 32, 0, 8] + [2] * 26  # round(c / 40 * 64), at least 1 eighth


def test_an_empty_forecast_says_so(report: StatsReport):
    quiet = dataclasses.replace(report, forecast=Forecast(TODAY, (0,) * 30, 0))
    assert "Nothing is due in the next 30 days." in render(build_forecast(quiet))


def test_tables_show_the_numbers(report: StatsReport):
    out = render(build_report(report), 160)
    c = report.counts
    for name, n in (("new", c.new), ("learning", c.learning), ("mature", c.mature)):
        assert re.search(rf"\b{name}\s+{n}\b", out), name
    r = report.retention
    assert re.search(rf"mature \(≥21 d\)\s+{r.mature.reviews}\s+{r.mature.passed}\s", out)
    weakest = report.topics[0]
    topic_lines = render(build_topics(report)).splitlines()
    assert topic_lines[0].startswith("Topics, weakest first")
    assert topic_lines[1].split() == [
        "topic",
        "cards",
        "retention",
        "answers",
        "lapses",
        "ease",
        "due",
        "new",
    ]
    body = [line.split() for line in topic_lines[3:]]
    assert [cells[0] for cells in body] == [t.tag for t in report.topics]
    assert body[0][0] == weakest.tag
    for cells, t in zip(body, report.topics, strict=True):
        ease = "—" if t.average_ease is None else f"{t.average_ease:.2f}"
        rate = "—" if t.retention.rate is None else f"{t.retention.rate:.0%}"
        assert cells[1:] == [
            str(t.cards),
            rate,
            str(t.retention.reviews),
            str(t.lapses),
            ease,
            str(t.due),
            str(t.new),
        ]
    for d in report.drills:
        assert f"{d.correct}/{d.attempts}" in out
    for leech in report.leeches:
        assert re.search(rf"{leech.id}\s+│\s+{leech.lapses}\s", out)
    assert f"this week (since {TODAY - timedelta(days=TODAY.weekday()):%b} 16)" in out


def test_no_color_keeps_the_information_in_the_characters(report: StatsReport, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    console = Console(file=io.StringIO(), width=80, force_terminal=True)
    console.print(build_report(report))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    colours = [
        p
        for params in re.findall(r"\x1b\[([0-9;]*)m", out)
        for p in params.split(";")
        if p and (30 <= int(p) <= 49 or 90 <= int(p) <= 107)
    ]
    assert colours == []
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert all(ch in plain for ch in LEVEL_CHARS)
    assert "█" in plain.split("Due in the next 30 days")[1]


def test_colour_is_used_when_allowed(report: StatsReport, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    console = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="256")
    console.print(build_heatmap(report))
    assert re.search(r"\x1b\[[0-9;]*38;5;\d+m", console.file.getvalue())  # type: ignore[attr-defined]


def test_first_run_message(report: StatsReport):
    empty = dataclasses.replace(report, total_reviews=0)
    out = render(build_report(empty), 80)
    assert "No reviews yet." in out and "mlprep review" in out
    assert "Answers per day" not in out
    assert "mlprep review" in render(build_first_run(empty), 40)


def test_narrow_terminals_still_draw_the_whole_calendar(report: StatsReport):
    lines = render(build_heatmap(report), 40).splitlines()
    mon = next(inner(line) for line in lines if inner(line).startswith("Mon"))
    assert len(mon.rstrip()) == 4 + 26  # one character per week


def test_sections_without_data(report: StatsReport):
    bare = dataclasses.replace(report, drills=(), leeches=())
    assert "no computed card answered yet" in render(build_drills(bare))
    assert f"no card has lapsed {LEECH_THRESHOLD} times" in render(build_leeches(bare))
    assert date(2026, 11, 20) == TODAY
