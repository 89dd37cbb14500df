"""The screens of `mlprep stats`: the report from `mlprep.core.stats`, drawn with rich.

Each section comes from a builder function (`build_heatmap(report) -> renderable`, ...) that
tests render with `Console(file=io.StringIO(), width=80)`. Charts read without colour: the
heatmap shades with characters of rising density (· ░ ▒ ▓ █) and the forecast uses eighth
blocks, so NO_COLOR output carries the same information. rich is imported inside functions
(start-up time: this module is imported by every `mlprep` invocation)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from mlprep.core.wording import plural

if TYPE_CHECKING:
    from rich.console import RenderableType

    from mlprep.core.memory import CalibrationBin
    from mlprep.core.stats import DrillRow, PassRate, StatsReport

__all__ = [
    "build_calibration",
    "build_counts",
    "build_drills",
    "build_ease",
    "build_first_run",
    "build_forecast",
    "build_header",
    "build_heatmap",
    "build_leeches",
    "build_report",
    "build_retention",
    "build_streaks",
    "build_time",
    "build_topics",
]

LEVEL_CHARS = "·░▒▓█"
LEVEL_STYLES = ("grey50", "dark_green", "green4", "green3", "bold green1")
BAR_EIGHTHS = " ▁▂▃▄▅▆▇█"
FORECAST_HEIGHT = 8
MAX_LEECH_ROWS = 15
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# -- helpers ---------------------------------------------------------------------------------


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def _rate_style(rate: float | None) -> str:
    if rate is None:
        return "dim"
    return "red" if rate < 0.8 else "yellow" if rate < 0.9 else "green"


def _duration(ms: int) -> str:
    seconds = ms // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _short(day: date) -> str:
    return f"{day:%b} {day.day}"


class _Sized:
    """A renderable drawn for the width it is given (charts adapt to 80 columns or wide)."""

    def __init__(self, draw: Callable[[int], RenderableType]):
        self.draw = draw

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield self.draw(options.max_width)

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        return Measurement.get(console, options, self.draw(options.max_width))


def _section(title: str, body: RenderableType, subtitle: str | None = None) -> RenderableType:
    from rich.panel import Panel

    return Panel(
        body,
        title=title,
        title_align="left",
        subtitle=subtitle,
        subtitle_align="left",
        expand=False,
        padding=(0, 1),
    )


# -- sections --------------------------------------------------------------------------------


def build_header(report: StatsReport) -> RenderableType:
    from rich.text import Text

    text = Text()
    text.append(f"Stats for {report.today.isoformat()}", style="bold")
    if report.deck:
        text.append(f" · deck {report.deck}")
    if report.tag:
        text.append(f" · tag {report.tag}")
    if report.first_day is not None:
        text.append(
            f"\n{plural(report.total_reviews, 'answer')} on "
            f"{plural(report.days_studied, 'study day')} since {report.first_day.isoformat()}"
        )
    return text


def build_first_run(report: StatsReport) -> RenderableType:
    """Shown instead of charts when nothing has been answered yet (in scope)."""
    from rich.text import Text

    scope = " ".join(
        part
        for part in (
            f"in deck {report.deck}" if report.deck else "",
            f"tagged {report.tag}" if report.tag else "",
        )
        if part
    )
    text = Text()
    text.append(f"No reviews yet{' ' + scope if scope else ''}. ", style="bold")
    waiting = report.counts.new
    if waiting:
        text.append(f"{plural(waiting, 'card')} {'is' if waiting == 1 else 'are'} waiting.\n")
    else:
        text.append("\n")
    command = "mlprep review"
    if report.deck:
        command += f" --deck {report.deck}"
    if report.tag:
        command += f" --tag {report.tag}"
    text.append("Start with ")
    text.append(command, style="bold cyan")
    text.append(
        " (new cards arrive 10 a day by default), then come back here for your heatmap, "
        "forecast, retention and weakest topics."
    )
    return text


def _heatmap_text(report: StatsReport, width: int) -> RenderableType:
    from rich.text import Text

    hm = report.heatmap
    label_w = 4
    cell = 2 if label_w + 2 * hm.weeks <= width else 1
    weeks = max(1, min(hm.weeks, (width - label_w) // cell))
    first = hm.start + timedelta(weeks=hm.weeks - weeks)
    by_day = {d.day: d for d in hm.days}

    # Month labels above the week (column) holding the 1st; the first column gets its month
    # unless a real month start follows too closely.
    grid_w = label_w + weeks * cell
    labels: list[tuple[int, str, bool]] = []  # (position, label, only a first-column guess)
    for col in range(weeks):
        monday = first + timedelta(weeks=col)
        starts = [
            d for d in (monday + timedelta(days=i) for i in range(7)) if d.day == 1 and d <= hm.end
        ]
        if not starts and col:
            continue
        label = f"{(starts[0] if starts else monday):%b}"
        pos = label_w + col * cell
        if pos + len(label) > grid_w:
            continue
        if labels and pos <= labels[-1][0] + len(labels[-1][1]):
            if not labels[-1][2]:
                continue
            labels.pop()
        labels.append((pos, label, not starts))
    line = [" "] * grid_w
    for pos, label, _ in labels:
        line[pos : pos + len(label)] = label
    text = Text()
    text.append("".join(line).rstrip() + "\n", style="dim")

    for row in range(7):
        text.append(f"{WEEKDAYS[row]:<{label_w}}", style="dim")
        for col in range(weeks):
            day = first + timedelta(weeks=col, days=row)
            entry = by_day.get(day)
            if entry is None:  # after today
                text.append(" " * cell)
                continue
            text.append(LEVEL_CHARS[entry.level], style=LEVEL_STYLES[entry.level])
            if cell > 1:
                text.append(" " * (cell - 1))
        text.append("\n")

    legend = Text(" " * label_w)
    legend.append(LEVEL_CHARS[0], style=LEVEL_STYLES[0])
    legend.append(" 0")
    for level, bounds in enumerate(hm.level_ranges(), start=1):
        if bounds is None:
            continue
        low, high = bounds
        legend.append("  ")
        legend.append(LEVEL_CHARS[level], style=LEVEL_STYLES[level])
        legend.append(f" {low}" if low == high else f" {low}–{high}")
    legend.append("  answers/day", style="dim")
    text.append_text(legend)
    return text


def build_heatmap(report: StatsReport) -> RenderableType:
    """GitHub-style calendar: rows Mon..Sun, one column per week, shaded by quantile."""
    hm = report.heatmap
    return _section(
        f"Answers per day, last {plural(hm.weeks, 'week')}",
        _Sized(lambda width: _heatmap_text(report, width)),
        f"{plural(hm.total, 'answer')} · busiest day {hm.max_count}",
    )


def _forecast_text(report: StatsReport, width: int) -> RenderableType:
    from rich.text import Text

    fc = report.forecast
    counts = fc.due
    n = len(counts)
    top = max(counts, default=0)
    if top == 0:
        return Text(f"Nothing is due in the next {plural(n, 'day')}.", style="dim")
    axis_w = len(str(top)) + 1
    cell = max(1, min(4, (width - axis_w) // n))
    bar_w = cell - 1 if cell > 1 else 1
    # Up to 8 cards the bars are whole blocks, one row per card; above that, eighth blocks.
    height = min(FORECAST_HEIGHT, top)
    eighths = [0 if c == 0 else max(1, round(c / top * height * 8)) for c in counts]
    text = Text()
    for row in range(height):
        level = height - 1 - row
        if row == 0:
            text.append(f"{top:>{axis_w - 1}}┤", style="dim")
        else:
            text.append(" " * (axis_w - 1) + "│", style="dim")
        for i, e in enumerate(eighths):
            fill = min(8, max(0, e - level * 8))
            text.append(BAR_EIGHTHS[fill] * bar_w, style="bold yellow" if i == 0 else "cyan")
            if cell > 1:
                text.append(" ")
        text.append("\n")
    text.append(f"{0:>{axis_w - 1}}└" + "─" * (n * cell) + "\n", style="dim")
    labels = [" "] * (axis_w + n * cell + 8)
    for offset in range(0, n, 7):
        label = "today" if offset == 0 else _short(fc.start + timedelta(days=offset))
        pos = axis_w + offset * cell
        for i, ch in enumerate(label):
            labels[pos + i] = ch
    text.append("".join(labels).rstrip() + "\n", style="dim")
    tomorrow = fc.tomorrow  # the one definition (storage.store.count_due_on)
    week = sum(counts[:7])
    busiest = max(range(n), key=lambda i: (counts[i], -i))
    text.append(f"today {counts[0]}", style="bold")
    if fc.overdue:
        text.append(f" ({fc.overdue} overdue)", style="yellow")
    text.append(f" · tomorrow {tomorrow} · next 7 days {week}\nnext {plural(n, 'day')} {fc.total}")
    text.append(
        f" · busiest {_short(fc.start + timedelta(days=busiest))} ({counts[busiest]})",
        style="dim",
    )
    return text


def build_forecast(report: StatsReport) -> RenderableType:
    """Bar chart of the cards due each day for the next 30 days (overdue count on today)."""
    n = len(report.forecast.due)
    return _section(
        f"Due in the next {plural(n, 'day')}",
        _Sized(lambda width: _forecast_text(report, width)),
        "new cards not included",
    )


def build_counts(report: StatsReport) -> RenderableType:
    from rich.table import Table

    counts = report.counts
    table = Table(title="Cards", title_justify="left", box=None, padding=(0, 1))
    table.add_column("state")
    table.add_column("cards", justify="right")
    table.add_column("", min_width=10)
    rows = (
        ("new", counts.new, "blue", "never answered"),
        ("learning", counts.learning, "red", "failed, not yet recalled"),
        ("young", counts.young, "yellow", "interval < 21 d"),
        ("mature", counts.mature, "green", "interval ≥ 21 d"),
        ("suspended", counts.suspended, "dim", "out of every queue"),
        ("retired", counts.retired, "dim", "gone from the card files"),
    )
    live = counts.total - counts.retired - counts.suspended
    for name, n, style, _ in rows:
        if name == "suspended" and not n:
            continue
        bar = "█" * round(10 * n / live) if live and style != "dim" else ""
        table.add_row(name, str(n), bar, style=style)
    table.add_row("total", str(counts.total), "", style="bold")
    return table


def _rate_cells(rate: PassRate) -> tuple[str, str, str]:
    return str(rate.reviews), str(rate.passed), _pct(rate.rate)


def build_retention(report: StatsReport) -> RenderableType:
    from rich.table import Table

    ret = report.retention
    table = Table(
        title=f"True retention, last {plural(ret.days, 'day')}",
        title_justify="left",
        caption="pass = Hard or better; by interval before the answer",
        caption_justify="left",
        box=None,
        padding=(0, 1),
    )
    table.add_column("")
    table.add_column("answers", justify="right")
    table.add_column("passed", justify="right")
    table.add_column("rate", justify="right")
    for name, rate in (
        ("young (<21 d)", ret.young),
        ("mature (≥21 d)", ret.mature),
        ("all", ret.all),
    ):
        answers, passed, pct = _rate_cells(rate)
        table.add_row(
            name,
            answers,
            passed,
            f"[{_rate_style(rate.rate)}]{pct}[/]",
            style="bold" * (name == "all"),
        )
    return table


def build_streaks(report: StatsReport) -> RenderableType:
    from rich.table import Table

    st = report.streaks
    table = Table(
        title="Streaks", title_justify="left", box=None, padding=(0, 1), show_header=False
    )
    table.add_column()
    table.add_column(justify="right")
    table.add_column(style="dim")
    if st.studied_today:
        note = "incl. today"
    elif st.current:
        note = "review today to keep it"
    else:
        note = ""
    table.add_row("current", plural(st.current, "day"), note)
    span = ""
    if st.longest_start is not None and st.longest_end is not None:
        span = f"{_short(st.longest_start)} – {_short(st.longest_end)}"
    table.add_row("longest", plural(st.longest, "day"), span)
    return table


def build_time(report: StatsReport) -> RenderableType:
    from rich.table import Table

    tm = report.time
    cap = tm.cap_ms // 1000
    table = Table(
        title="Time answering",
        title_justify="left",
        caption=f"each answer counted up to {cap} s\n(as in the session summary)",
        caption_justify="left",
        box=None,
        padding=(0, 1),
        show_header=False,
    )
    table.add_column()
    table.add_column(justify="right")
    week = f"this week (since {_short(tm.week_start)})" if tm.week_start else "this week"
    table.add_row("today", _duration(tm.today_ms))
    table.add_row(week, _duration(tm.week_ms))
    table.add_row("total", _duration(tm.total_ms))
    return table


Cell = tuple[str, str]  # (text, style)


def _text_table(
    headers: list[str], rows: list[list[Cell]], width: int, *, flex: int = 0
) -> RenderableType:
    """A plain aligned table as one Text: fast for long lists (a rich Table costs ~1 ms a
    row), first column left-aligned, the others right-aligned. Column `flex` shrinks, with an
    ellipsis, when the table is wider than `width`."""
    from rich.cells import cell_len, set_cell_size
    from rich.text import Text

    gap = 2
    widths = [
        max([cell_len(h)] + [cell_len(row[i][0]) for row in rows]) for i, h in enumerate(headers)
    ]
    excess = sum(widths) + gap * (len(widths) - 1) - width
    if excess > 0:
        widths[flex] = max(6, widths[flex] - excess)

    def fit(value: str, i: int) -> str:
        if cell_len(value) > widths[i]:
            value = set_cell_size(value, widths[i] - 1) + "…"
        pad = " " * (widths[i] - cell_len(value))
        return value + pad if i == 0 else pad + value

    text = Text()
    text.append((" " * gap).join(fit(h, i) for i, h in enumerate(headers)), style="bold")
    text.append("\n" + "─" * (sum(widths) + gap * (len(widths) - 1)), style="dim")
    for row in rows:
        text.append("\n")
        for i, (value, style) in enumerate(row):
            if i:
                text.append(" " * gap)
            text.append(fit(value, i), style=style or None)
    return text


def build_topics(report: StatsReport) -> RenderableType:
    """Per tag, weakest retention first: retention, lapses, average ease, due, new left."""
    from rich.console import Group
    from rich.text import Text

    title = Text(
        f"Topics, weakest first (retention over the last {plural(report.days, 'day')})",
        style="italic",
    )
    if not report.topics:
        return Group(title, Text("No cards in scope.", style="dim"))
    headers = ["topic", "cards", "retention", "answers", "lapses", "ease", "due", "new"]
    rows: list[list[Cell]] = []
    for row in report.topics:
        rate = row.retention.rate
        rows.append(
            [
                (row.tag, ""),
                (str(row.cards), ""),
                (_pct(rate), _rate_style(rate)),
                (str(row.retention.reviews), ""),
                (str(row.lapses), "red" if row.lapses else ""),
                ("—" if row.average_ease is None else f"{row.average_ease:.2f}", ""),
                (str(row.due), "yellow" if row.due else ""),
                (str(row.new), "blue" if row.new else ""),
            ]
        )
    return Group(title, _Sized(lambda width: _text_table(headers, rows, width)))


def _drill_cell(correct: int, attempts: int, rate: float | None) -> str:
    if not attempts:
        return "[dim]—[/]"
    return f"{correct}/{attempts} [{_rate_style(rate)}]{_pct(rate)}[/]"


def build_drills(report: StatsReport) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    if not report.drills:
        return Text(
            "Drill accuracy: no computed card answered yet; try `mlprep drill`.", style="dim"
        )
    table = Table(title="Drill accuracy per generator", title_justify="left", padding=(0, 1))
    table.add_column("generator", overflow="fold")
    table.add_column(f"last {plural(report.days, 'day')}", justify="right")
    table.add_column("all time", justify="right")
    rows: list[DrillRow] = sorted(
        report.drills, key=lambda d: (d.accuracy if d.accuracy is not None else 2.0, d.generator)
    )
    for d in rows:
        table.add_row(
            d.generator,
            _drill_cell(d.recent_correct, d.recent_attempts, d.recent_accuracy),
            _drill_cell(d.correct, d.attempts, d.accuracy),
        )
    return table


def build_leeches(report: StatsReport) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    from mlprep.app.config import display_path

    if report.leech_threshold <= 0:
        return Text("Leeches: detection is off (leech_threshold = 0).", style="dim")
    if not report.leeches:
        return Text(
            f"Leeches: none (no card has lapsed {plural(report.leech_threshold, 'time')}).",
            style="dim",
        )
    total = len(report.leeches)
    title = f"Leeches: lapsed {report.leech_threshold}+ times"
    if total > MAX_LEECH_ROWS:
        title += f" (the worst {MAX_LEECH_ROWS} of {total}; --json lists all)"
    table = Table(
        title=title,
        title_justify="left",
        caption="Rewrite them (one idea, a sharper cue) or split them into smaller cards.",
        caption_justify="left",
        padding=(0, 1),
    )
    table.add_column("card", overflow="fold")
    table.add_column("lapses", justify="right", style="red")
    table.add_column("ease", justify="right")
    table.add_column("file", overflow="fold", style="dim")
    for leech in report.leeches[:MAX_LEECH_ROWS]:
        path = display_path(leech.path)
        where = f"{path}:{leech.line}" if leech.line else path
        ease = "—" if leech.easiness is None else f"{leech.easiness:.2f}"
        table.add_row(leech.id, str(leech.lapses), ease, Text(where))
    return table


def _signed(x: float) -> str:
    return f"{'−' if x < 0 else '+'}{abs(x):.2f}" if round(x, 2) else "±0"


def build_ease(report: StatsReport) -> RenderableType:
    """The ease trend (SM-2) and, once the log is large enough, the hint to switch to FSRS."""
    from rich.text import Text

    text = Text()
    trend = report.ease
    if trend is not None and any(p.cards for p in trend.points):
        text.append("Ease (SM-2)", style="bold")
        text.append(", average of the cards introduced by then:\n")
        last = len(trend.points) - 1
        cells = [
            f"{_short(p.day) if i < last else 'today'} {p.average:.2f}"
            for i, p in enumerate(trend.points)
            if p.average is not None  # before the first card was introduced: nothing to show
        ]
        text.append("  " + " → ".join(cells))
        if trend.change is not None:
            text.append(f" ({_signed(trend.change)})", style="red" if trend.change < 0 else "")
        floor_cards = f"{plural(trend.at_floor, 'card')} at the {trend.floor:.2f} floor now"
        text.append(f"\n  {floor_cards}", style="yellow" if trend.at_floor else "dim")
        text.append(
            "\n  SM-2 lowers the ease on every Hard or Again; only Easy raises it (+0.10).",
            style="dim",
        )
    if report.suggest_fsrs:
        if text:
            text.append("\n")
        text.append("Try FSRS: ", style="bold green")
        text.append(
            f"your log has {plural(report.scheduled_reviews, 'review')} of learned cards, enough for "
            "FSRS to fit your memory and give each grade its own interval. Switch with "
        )
        text.append("mlprep config scheduler fsrs", style="bold cyan")
        text.append(" (the log is replayed; switching back restores SM-2).")
    return text


def build_calibration(bins: Sequence[CalibrationBin], parameters: str) -> RenderableType:
    """Predicted vs actual recall of past reviews, by bins of predicted recall: how far the
    memory model's forecasts (and interview mode) can be trusted."""
    from rich.console import Group
    from rich.text import Text

    rows = [b for b in bins if b.reviews]
    if not rows:
        return Text("Calibration: no review with a history yet.", style="dim")
    total = sum(b.reviews for b in rows)
    table: list[list[Cell]] = []
    for b in rows:
        gap = (b.actual or 0) - (b.predicted or 0)
        style = "green" if abs(gap) < 0.05 else "yellow" if abs(gap) < 0.1 else "red"
        table.append(
            [
                (f"{b.low:.0%}–{b.high:.0%}", ""),
                (str(b.reviews), ""),
                (f"{b.predicted:.0%}", ""),
                (f"{b.actual:.0%}", style),
                (f"{gap:+.0%}", style),
            ]
        )
    title = Text(
        f"Calibration of the memory model ({parameters} FSRS parameters, "
        f"{plural(total, 'past review')})",
        style="bold",
    )
    body = _text_table(["predicted", "reviews", "mean", "recalled", "gap"], table, 60)
    return Group(title, body)


def build_report(
    report: StatsReport,
    calibration: Sequence[CalibrationBin] = (),
    parameters: str = "default",
) -> RenderableType:
    """Every section, top to bottom; the first-run message when nothing was answered yet."""
    from rich.columns import Columns
    from rich.console import Group
    from rich.text import Text

    if report.is_empty:
        return Group(build_header(report), Text(), build_first_run(report))
    return Group(
        build_header(report),
        Text(),
        build_heatmap(report),
        build_forecast(report),
        Columns(
            [
                build_counts(report),
                build_retention(report),
                build_streaks(report),
                build_time(report),
            ],
            padding=(1, 3),
        ),
        Text(),
        build_topics(report),
        Text(),
        *((build_ease(report), Text()) if report.ease is not None or report.suggest_fsrs else ()),
        build_drills(report),
        Text(),
        build_leeches(report),
        Text(),
        build_calibration(calibration, parameters),
    )
