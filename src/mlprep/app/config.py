"""Where things live, the user's settings, and the clock.

Everything here is cheap to import: platformdirs and tomllib load only when needed."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path

__all__ = [
    "ConfigError",
    "Paths",
    "Settings",
    "bundled_cards_dir",
    "card_sources",
    "load_settings",
    "now",
    "study_day",
]


class ConfigError(ValueError):
    """A setting or environment variable has a value we cannot use."""


def _data_dir() -> Path:
    home = os.environ.get("MLPREP_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("mlprep", appauthor=False))


@dataclass(frozen=True)
class Paths:
    data_dir: Path

    @classmethod
    def from_env(cls) -> Paths:
        return cls(_data_dir())

    @property
    def db(self) -> Path:
        return self.data_dir / "mlprep.db"

    @property
    def user_cards(self) -> Path:
        return self.data_dir / "cards"

    @property
    def settings(self) -> Path:
        return self.data_dir / "settings.toml"


def bundled_cards_dir() -> Path:
    """The deck shipped with mlprep: inside the installed package, or the repo's `cards/`."""
    here = Path(__file__).resolve().parent.parent  # the mlprep package
    installed = here / "cards"
    if installed.is_dir():
        return installed
    return here.parent.parent / "cards"


def card_sources(paths: Paths, extra: list[Path] | tuple[Path, ...] = ()) -> list[Path]:
    """Folders and files to load cards from, in order: bundled, user folder, MLPREP_CARDS, --cards."""
    env = [Path(p).expanduser() for p in os.environ.get("MLPREP_CARDS", "").split(os.pathsep) if p]
    sources = [bundled_cards_dir(), paths.user_cards, *env, *(Path(p).expanduser() for p in extra)]
    seen: set[Path] = set()
    unique = []
    for source in sources:
        key = source.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(source)
    return unique


MAX_SETTING = 100_000  # far above any sensible daily limit; keeps values SQLite-sized


@dataclass(frozen=True)
class Settings:
    """User settings, from `settings.toml` in the data dir; every key is optional."""

    new_per_day: int = 10
    reviews_per_day: int = 0  # 0 means no cap
    day_starts_at: int = 4  # the hour at which a new study day begins, local time
    leech_threshold: int = 8

    def validate(self) -> Settings:
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not 0 <= value <= MAX_SETTING
            ):
                problems.append(
                    f"{f.name} must be an integer from 0 to {MAX_SETTING:,}, got {value!r}"
                )
        if isinstance(self.day_starts_at, int) and self.day_starts_at > 23:
            problems.append(f"day_starts_at must be an hour 0..23, got {self.day_starts_at}")
        if problems:
            raise ConfigError("; ".join(problems))
        return self


def load_settings(paths: Paths) -> Settings:
    path = paths.settings
    if not path.is_file():
        return Settings()
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {sorted(known)}"
        )
    try:
        return Settings(**raw).validate()
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def now() -> datetime:
    """The current time, timezone-aware; `MLPREP_NOW` (ISO 8601) overrides it for time travel."""
    fixed = os.environ.get("MLPREP_NOW")
    if fixed:
        try:
            moment = datetime.fromisoformat(fixed)
        except ValueError:
            raise ConfigError(
                f"MLPREP_NOW={fixed!r} is not an ISO date-time (e.g. 2026-12-01T09:00)"
            ) from None
        return moment if moment.tzinfo else moment.astimezone()
    return datetime.now().astimezone()


def study_day(moment: datetime, day_starts_at: int) -> date:
    """The local study day of `moment`: days roll over at `day_starts_at` o'clock, not midnight."""
    return (moment.astimezone() - timedelta(hours=day_starts_at)).date()
