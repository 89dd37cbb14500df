"""The readiness screen of `mlprep interview`: recall on the day, topics, and the plan as a
small chart of new and review cards and minutes per day."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

    from mlprep.core.planner import Plan

__all__ = ["readiness"]

BAR_WIDTH = 30
MAX_TOPICS = 10


def readiness(plan: Plan, minutes: int, deck: str | None, tag: str | None) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    from mlprep.core.wording import plural

    scope = ", ".join(f"{k} {v}" for k, v in (("deck", deck), ("tag", tag)) if v) or "all cards"
    days = plan.days_left
    if days <= 0:
        return _on_the_day(plan, scope)
    head = Text()
    head.append(f"Interview on {plan.date.isoformat()}", style="bold")
    head.append(f" · in {plural(days, 'day')} · {minutes} min a day · {scope}\n")
    head.append(f"{plural(plan.cards, 'card')} in scope, {plan.unseen:,} never seen.\n")
    head.append("Expected recall on the day: ")
    head.append(f"{plan.expected_recall:.0%} with no more study", style="yellow")
    head.append(" · ")
    head.append(f"{plan.planned_recall:.0%} following the plan", style="bold green")
    parts: list[RenderableType] = [head, Text()]
    parts.append(
        _topics(plan, "Recall per topic on the day (weakest first): now → with the plan", True)
    )
    chart = Text("The plan: new (▒) and review (█) cards and minutes per day\n", style="bold")
    most = max((len(d.new) + len(d.reviews) for d in plan.days), default=0) or 1
    for day in plan.days:
        n_new = round(len(day.new) * BAR_WIDTH / most)
        n_rev = round(len(day.reviews) * BAR_WIDTH / most)
        chart.append(f"  {day.day.strftime('%a %d %b')}  ")
        chart.append("▒" * n_new, style="blue")
        chart.append("█" * n_rev, style="green")
        chart.append(" " * (BAR_WIDTH - n_new - n_rev))
        chart.append(
            f" {len(day.new):>3} new {len(day.reviews):>4} rev {day.seconds / 60:>5.1f} min\n"
        )
    parts.append(chart)
    return Group(*parts)


def _on_the_day(plan: Plan, scope: str) -> RenderableType:
    """The interview is today: readiness now, the weakest topics, and no plan (review is back
    on the normal schedule)."""
    from rich.console import Group
    from rich.text import Text

    from mlprep.core.wording import plural

    head = Text()
    head.append(f"Interview today, {plan.date.isoformat()}", style="bold")
    head.append(f" · {scope}\n")
    head.append(f"{plural(plan.cards, 'card')} in scope, {plan.unseen:,} never seen.\n")
    head.append("Expected recall today: ")
    head.append(f"{plan.expected_recall:.0%}", style="bold green")
    topics = _topics(plan, "Recall per topic today (weakest first)", False)
    advice = Text(
        "There is no plan left to follow: `mlprep review` is back on the normal schedule, and "
        "`mlprep review --cram --tag TOPIC` gives a last look at a weak topic without changing "
        "it. `mlprep interview --clear` removes the date. Good luck!"
    )
    return Group(head, Text(), topics, advice)


def _topics(plan: Plan, title: str, with_plan: bool) -> Text:
    """The weakest topics' recall, with where the plan takes it if `with_plan`."""
    from rich.text import Text

    topics = Text(title + "\n", style="bold")
    for topic, recall in list(plan.topics.items())[:MAX_TOPICS]:
        line = f"  {topic[:28]:<28} {recall:>4.0%}"
        if with_plan:
            line += f" → {plan.planned_topics[topic]:>4.0%}"
        topics.append(line + "\n", style="")
    if len(plan.topics) > MAX_TOPICS:
        topics.append(
            f"  … and {len(plan.topics) - MAX_TOPICS} more (--json lists all)\n", style="dim"
        )
    return topics
