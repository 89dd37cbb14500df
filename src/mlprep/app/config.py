"""Where things live, the user's settings, and the clock.

Everything here is cheap to import: platformdirs and tomllib load only when needed."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "SETTINGS",
    "Paths",
    "SettingSpec",
    "Settings",
    "bundled_cards_dir",
    "card_sources",
    "display_path",
    "load_settings",
    "now",
    "setting_sources",
    "study_day",
    "write_setting",
    "write_settings",
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

    @property
    def backups(self) -> Path:
        return self.data_dir / "backups"


def bundled_cards_dir() -> Path:
    """The deck shipped with mlprep: inside the installed package, or the repo's `cards/`."""
    here = Path(__file__).resolve().parent.parent  # the mlprep package
    installed = here / "cards"
    if installed.is_dir():
        return installed
    return here.parent.parent / "cards"


BUNDLED_PREFIX = "bundled:"


def display_path(path: str) -> str:
    """A card file's path as shown to the user: a bundled file as `bundled:NAME.yaml` (the
    installed package's path is long and nothing to edit), any other file as it is."""
    if not path:
        return path
    try:
        resolved = Path(path).resolve()
        relative = resolved.relative_to(bundled_cards_dir().resolve())
    except (OSError, ValueError):
        return path
    return BUNDLED_PREFIX + relative.as_posix()


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
SCHEDULER_NAMES = ("sm2", "fsrs")


@dataclass(frozen=True)
class SettingSpec:
    """One key of settings.toml: its type, what it means, and how to check a value."""

    name: str
    type: type
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    optional: bool = False  # may be unset (None: the key is absent from settings.toml)

    def check(self, value: Any) -> str | None:
        """None if `value` fits, else what was expected."""
        if value is None and self.optional:
            return None
        if self.type is date and isinstance(value, datetime):
            return f"{self.name} must be a date such as 2026-12-24, got {value!r}"
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, self.type):
            return f"{self.name} must be {self._kind()}, got {value!r}"
        if self.choices is not None and value not in self.choices:
            return f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}"
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            return f"{self.name} must be {self._kind()}, got {value!r}"
        return None

    def _kind(self) -> str:
        if self.type is int:
            return f"an integer from {self.minimum:,.0f} to {self.maximum:,.0f}"
        if self.type is float:
            return f"a number from {self.minimum} to {self.maximum}"
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.type is date:
            return "a date such as 2026-12-24"
        return "a string"

    def show(self, value: Any) -> str:
        """The value as a user types it: `2026-12-24`, `sm2`; `(not set)` for none."""
        if value is None or value == "":
            return "(not set)"
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    def to_json(self, value: Any) -> Any:
        """The value as JSON holds it: a date as `"2026-12-24"`, the rest as it is."""
        return value.isoformat() if isinstance(value, date) else value

    def from_json(self, value: Any) -> Any:
        """The inverse of `to_json` (a date read back from its string); ConfigError if the
        text is not a date. The caller still checks the value."""
        if self.type is date and isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ConfigError(f"{self.name} must be {self._kind()}, got {value!r}") from None
        return value

    def parse(self, text: str) -> Any:
        """A value typed on the command line (`mlprep config KEY VALUE`), converted and checked;
        ConfigError says what was expected."""
        value: Any = text
        try:
            if self.type is int:
                value = int(text)
            elif self.type is float:
                value = float(text)
            elif self.type is date:
                value = date.fromisoformat(text)
        except ValueError:
            raise ConfigError(f"{self.name} must be {self._kind()}, got {text!r}") from None
        problem = self.check(value)
        if problem:
            raise ConfigError(problem)
        return value


SETTINGS = {
    spec.name: spec
    for spec in (
        SettingSpec("new_per_day", int, "new cards introduced per day", 0, MAX_SETTING),
        SettingSpec("reviews_per_day", int, "cap on reviews per day (0 = no cap)", 0, MAX_SETTING),
        SettingSpec("day_starts_at", int, "hour (0-23, local) at which a study day begins", 0, 23),
        SettingSpec("leech_threshold", int, "lapses that make a card a leech (0 = off)", 0, 1000),
        SettingSpec("scheduler", str, "scheduling algorithm", choices=SCHEDULER_NAMES),
        SettingSpec(
            "desired_retention", float, "recall probability to schedule for (FSRS)", 0.7, 0.99
        ),
        SettingSpec("maximum_interval", int, "longest interval in days (FSRS)", 1, 36500),
        SettingSpec("interview_date", date, "interview mode: the day", optional=True),
        SettingSpec("interview_minutes", int, "interview mode: study minutes a day", 1, 1440),
        SettingSpec("interview_deck", str, "interview mode: only this deck", optional=True),
        SettingSpec("interview_tag", str, "interview mode: only this tag", optional=True),
        SettingSpec("sync_dir", str, "folder `mlprep review` syncs with at the end (empty = off)"),
        SettingSpec("backups_kept", int, "automatic backups kept in <data dir>/backups", 1, 1000),
    )
}


@dataclass(frozen=True)
class Settings:
    """User settings, from `settings.toml` in the data dir; every key is optional."""

    new_per_day: int = 10
    reviews_per_day: int = 0  # 0 means no cap
    day_starts_at: int = 4  # the hour at which a new study day begins, local time
    leech_threshold: int = 8
    scheduler: str = "sm2"
    desired_retention: float = 0.9
    maximum_interval: int = 36500
    interview_date: date | None = None
    interview_minutes: int = 30
    interview_deck: str | None = None
    interview_tag: str | None = None
    sync_dir: str = ""  # empty: review does not sync
    backups_kept: int = 30

    def validate(self) -> Settings:
        """Check every key and raise one ConfigError naming every problem."""
        problems = [
            problem
            for f in fields(self)
            if (problem := SETTINGS[f.name].check(getattr(self, f.name)))
        ]
        if problems:
            raise ConfigError("; ".join(problems))
        if isinstance(self.desired_retention, int):
            return replace(self, desired_retention=float(self.desired_retention))
        return self


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None


def load_settings(paths: Paths) -> Settings:
    path = paths.settings
    if not path.is_file():
        if path.exists():
            raise ConfigError(f"{path} is not a file (a folder?); move it away or make it a file")
        return Settings()
    raw = _read_toml(path)
    unknown = sorted(set(raw) - set(SETTINGS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(SETTINGS)}"
        )
    try:
        return Settings(**raw).validate()
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def setting_sources(paths: Paths) -> dict[str, str]:
    """Where each setting's value comes from: `settings.toml` or `default`."""
    raw = _read_toml(paths.settings) if paths.settings.is_file() else {}
    return {name: ("settings.toml" if name in raw else "default") for name in SETTINGS}


def write_setting(paths: Paths, key: str, text: str) -> Any:
    """Set one key in settings.toml from text typed on the command line, validated, keeping
    the file's comments and layout, written atomically. Returns the value."""
    spec = SETTINGS.get(key)
    if spec is None:
        raise ConfigError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    value = spec.parse(text)
    write_settings(paths, {key: value})
    return value


def write_settings(paths: Paths, values: dict[str, Any]) -> None:
    """Set (or, for None, remove) several checked keys at once, atomically (a temporary file
    renamed over the old one), keeping the file's comments and layout."""
    import tomlkit

    path = paths.settings
    load_settings(paths)  # refuse to rewrite a file that is already broken
    document = (
        tomlkit.parse(path.read_text(encoding="utf-8")) if path.is_file() else tomlkit.document()
    )
    for key, value in values.items():
        problem = None if value is None else SETTINGS[key].check(value)
        if problem:
            raise ConfigError(problem)
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    from mlprep.decks.files import write_atomic

    write_atomic(path, tomlkit.dumps(document))


# `MLPREP_NOW=2026-12-05` (a date alone) means that study day: noon, not midnight, which is
# before the day's 4 am rollover and so still the previous study day.
DATE_ONLY_HOUR = 12


# The calendar mlprep works in: a due date is at most a century (the interval cap) past the
# last day, and study days, the stats window and "tomorrow" must stay inside Python's dates.
EARLIEST_NOW = date(1900, 1, 1)
LATEST_NOW = date(9000, 12, 31)


def now() -> datetime:
    """The current time, timezone-aware; `MLPREP_NOW` (ISO 8601) overrides it for time travel.
    A date without a time stands for noon of that day (so for that study day).
    Both must lie between EARLIEST_NOW and LATEST_NOW (ConfigError)."""
    fixed = os.environ.get("MLPREP_NOW")
    if fixed:
        try:
            moment = datetime.fromisoformat(fixed)
            if "T" not in fixed.strip() and " " not in fixed.strip():
                moment = moment.replace(hour=DATE_ONLY_HOUR)
        except ValueError:
            raise ConfigError(
                f"MLPREP_NOW={fixed!r} is not an ISO date-time (e.g. 2026-12-01T09:00)"
            ) from None
        if not EARLIEST_NOW <= moment.date() <= LATEST_NOW:
            raise ConfigError(
                f"MLPREP_NOW={fixed!r} is outside the calendar mlprep works in "
                f"({EARLIEST_NOW} to {LATEST_NOW})"
            )
        return moment if moment.tzinfo else moment.astimezone()
    moment = datetime.now().astimezone()
    if not EARLIEST_NOW <= moment.date() <= LATEST_NOW:
        raise ConfigError(f"the system clock says {moment:%Y-%m-%d}; is it set right?")
    return moment


def study_day(moment: datetime, day_starts_at: int) -> date:
    """The local study day of `moment`: days roll over at `day_starts_at` o'clock, not midnight."""
    return (moment.astimezone() - timedelta(hours=day_starts_at)).date()
