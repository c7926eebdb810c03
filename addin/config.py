"""``orderdesk.toml`` (SPEC section 8): read with tomllib, validated key by key, returned as a
frozen dataclass tree. Every error is a ``ConfigError`` whose message starts with the file name
and names the section and key, e.g. ``orderdesk.toml: [mail] unknown key 'pasword'``.

Secrets never live in the file: ``[mail] password_env`` names an environment variable, which is
read here (once) so a missing password is reported before any work is done.
"""
from __future__ import annotations

import ipaddress
import math
import os
import string
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any, Mapping

from addin.errors import ConfigError
from addin.files.guard import check_option_file
from addin.files.limits import MAX_DAY_COUNT
from addin.compute.filters import FILTER_FIELDS, LineFilter
from addin.compute.otd import OtdSettings
from addin.defaults import BASES, CALENDAR, LANGS, WEIGHTS
from addin.compute.rootcause import CAUSES as ROOT_CAUSES

from addin.tomlcompat import tomllib

SECURITY = ("starttls", "ssl", "none")
BUILTIN_CALENDARS = ("cn", "mon-fri")
SUBJECT_FIELDS = ("month", "otd")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class LedgerConfig:
    path: Path
    sheet: str | None = None
    map: Path | None = None


@dataclass(frozen=True)
class ReportConfig:
    lang: str | None = None      # None: the front end picks from the system locale
    out_dir: Path = Path("reports")


@dataclass(frozen=True)
class MailConfig:
    host: str
    port: int
    security: str
    sender: str                  # as written, e.g. "OrderDesk <reports@example.com>"
    to: tuple[str, ...]          # as written, one message per entry
    user: str | None = None
    password_env: str | None = None
    password: str | None = field(default=None, repr=False, compare=False)
    cacert: Path | None = None
    subject: str | None = None   # optional template with {month} and {otd}
    timeout: float = 60.0
    retries: int = 3             # further attempts after the first, on 4xx or a lost connection
    retry_delay: float = 30.0    # seconds before the first retry; doubled each time

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]

    @property
    def sender_domain(self) -> str:
        return self.sender_address.rpartition("@")[2].lower()


INSPECTION_DAYS = 1             # outgoing inspection after production, working days ([review])
TRANSPORT_DAYS = 0              # transport to the customer, working days ([review])


@dataclass(frozen=True)
class ReviewSettings:
    inspection_days: int = INSPECTION_DAYS
    transport_days: int = TRANSPORT_DAYS


@dataclass(frozen=True)
class Settings:
    """What every job measures with, whichever front end runs it: built from ``orderdesk.toml``
    (:func:`load_settings`, ``Config.settings``), from a workbook's Config sheet
    (:func:`settings_from_pairs`, same keys), or the SPEC defaults (``Settings()``).

    ``calendar`` is a spec (``"cn"``, ``"mon-fri"``, a calendar workbook's path) or an already
    built ``WorkingCalendar`` (the Excel side: cn plus the workbook's Calendar sheet). ``lang``
    None: the front end decides (system locale, the workbook's headers). ``source`` says where
    the settings came from, for messages (None: the SPEC defaults)."""
    otd: OtdSettings = field(default_factory=OtdSettings)
    calendar: Any = CALENDAR
    lang: str | None = None
    review: ReviewSettings = field(default_factory=ReviewSettings)
    source: str | None = None
    filters: LineFilter = field(default_factory=LineFilter)   # [filter]: the lines measured (SPEC 13)

    def with_options(self, **options: Any) -> Settings:
        """These settings with command-line options applied: ``calendar``, ``lang``,
        ``inspection_days``, ``transport_days`` or any ``OtdSettings`` field; an option given as
        None is not set and keeps the settings' value."""
        from dataclasses import replace
        given = {k: v for k, v in options.items() if v is not None}
        top = {k: given.pop(k) for k in ("calendar", "lang") if k in given}
        review = {k: given.pop(k) for k in ("inspection_days", "transport_days") if k in given}
        return replace(self, otd=replace(self.otd, **given) if given else self.otd,
                       review=replace(self.review, **review) if review else self.review, **top)


@dataclass(frozen=True)
class Config:
    path: Path                   # the config file itself (absolute)
    ledger: LedgerConfig
    otd: OtdSettings             # [otd] plus [rootcause.keywords] as cause_keywords
    calendar: str | Path         # "cn", "mon-fri" or the absolute path of a calendar workbook
    rootcause_keywords: Mapping[str, tuple[str, ...]]
    report: ReportConfig
    mail: MailConfig | None
    review: ReviewSettings = field(default_factory=ReviewSettings)
    filters: LineFilter = field(default_factory=LineFilter)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def settings(self) -> Settings:
        """The settings every job takes (the ``[otd]``, ``[rootcause]``, ``[report]`` and
        ``[review]`` tables)."""
        return Settings(otd=self.otd, calendar=self.calendar, lang=self.report.lang, review=self.review,
                        source=self.path.name, filters=self.filters)


_SECTIONS = {"ledger", "otd", "rootcause", "report", "mail", "review", "notice", "filter", "purchases",
             "escalation"}  # [notice]: addin.jobs.weekly; [purchases]: addin.jobs.report; [escalation]: addin.jobs.escalation
_LEDGER_KEYS = {"path", "sheet", "map", "deliveries", "deliveries_sheet", "deliveries_map"}  # deliveries: addin.jobs.deliveries
_OTD_KEYS = {"weight", "basis", "late_tolerance", "early_tolerance", "risk_horizon", "major_days", "calendar", "customers",
             "suppliers"}
_CUSTOMER_KEYS = {"late_tolerance", "early_tolerance"}
_REPORT_KEYS = {"lang", "out_dir"}
_REVIEW_KEYS = {"inspection_days", "transport_days"}
# what a scheduled job can wait for: past these, the socket and sleep calls overflow (1e308 s) or a run
# never ends (retries = 10**9)
MAIL_MAX_SECONDS = 3600.0
MAIL_MAX_RETRIES = 10
_MAIL_KEYS = {"host", "port", "security", "user", "password_env", "sender", "to", "cacert", "subject",
              "timeout", "retries", "retry_delay"}


def load_config(path: str | os.PathLike, *, env: Mapping[str, str] | None = None,
                require_password: bool = True) -> Config:
    """Read and validate ``orderdesk.toml``. ``env`` defaults to ``os.environ``;
    ``require_password=False`` (a dry run) does not insist on the password variable."""
    path = Path(path).absolute()
    env = os.environ if env is None else env
    v = _Validator(path.name)
    raw = _parse(path)
    _check_sections(v, raw)
    folder = path.parent
    ledger = _ledger(v, _table(v, raw, "ledger", required=True), folder)
    settings, keywords, report = _settings(v, raw, folder)
    mail = _mail(v, raw["mail"], folder, env, require_password) if "mail" in raw else None
    return Config(path=path, ledger=ledger, otd=settings.otd, calendar=settings.calendar, rootcause_keywords=keywords,
                  report=report, mail=mail, review=settings.review, filters=settings.filters)


def load_settings(path: str | os.PathLike) -> Settings:
    """The settings of ``orderdesk.toml`` that the jobs use (``[otd]``, ``[rootcause]``,
    ``[report]``, ``[review]``), checked as :func:`load_config` checks them. ``[ledger]`` and
    ``[mail]`` may be present and are not needed (the command names the ledger; no mail is sent)."""
    path = Path(path).absolute()
    raw = _parse(path)
    settings, _, _ = _settings(_Validator(path.name), raw, path.parent)
    return replace_source(settings, path.name)


def replace_source(settings: Settings, source: str | None) -> Settings:
    """``settings`` said to come from ``source`` (a file name, a workbook's Config sheet)."""
    from dataclasses import replace
    return replace(settings, source=source)


def config_section(path: str | os.PathLike, name: str) -> Any:
    """The raw ``[name]`` table of a configuration file (None when absent), read as
    :func:`load_config` reads the file (a pipe refused, UTF-8 with or without BOM, a TOML error a
    ``ConfigError``). For the sections a job checks itself ([notice], [escalation], [purchases])."""
    return _parse(Path(path)).get(name)


def config_relative(config_path: str | os.PathLike, text: str) -> Path:
    """A path written in the configuration file: ``~`` expanded, relative to the file's folder."""
    p = Path(text).expanduser()
    return p if p.is_absolute() else (Path(config_path).parent / p).absolute()


def _parse(path: Path) -> dict:
    check_option_file(path, "configuration file")   # a pipe or /dev/zero: refused before reading
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name}: not UTF-8 text — save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def _settings(v: _Validator, raw: dict, folder: Path) -> tuple[Settings, Mapping[str, tuple[str, ...]], ReportConfig]:
    """The job settings of a parsed file (every section name checked)."""
    _check_sections(v, raw)
    keywords = _keywords(v, _table(v, raw, "rootcause"))
    otd, calendar = _otd(v, _table(v, raw, "otd"), folder, keywords)
    report = _report(v, _table(v, raw, "report"), folder)
    review = _review(v, _table(v, raw, "review"))
    filters = _filters(v, _table(v, raw, "filter"))
    return Settings(otd=otd, calendar=calendar, lang=report.lang, review=review, filters=filters), keywords, report


def _filters(v: _Validator, t: dict) -> LineFilter:
    """``[filter]``: customer, part, owner, supplier, each a name or a list of names (SPEC 13)."""
    v.keys("filter", t, set(FILTER_FIELDS))
    given = {}
    for key, values in t.items():
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(x, str) and x.strip() for x in values):
            raise v.error("filter", f"{key} must be a name or a list of names, not {_describe(values)}")
        given[key] = tuple(values)
    return LineFilter(**given)


def _check_sections(v: _Validator, raw: dict) -> None:
    for key in raw:
        if key not in _SECTIONS:
            raise ConfigError(f"{v.file}: unknown section [{key}]")


def _review(v: _Validator, t: dict) -> ReviewSettings:
    v.keys("review", t, _REVIEW_KEYS)
    return ReviewSettings(inspection_days=v.integer("review", t, "inspection_days", default=INSPECTION_DAYS,
                                                    maximum=MAX_DAY_COUNT),
                          transport_days=v.integer("review", t, "transport_days", default=TRANSPORT_DAYS,
                                                   maximum=MAX_DAY_COUNT))


# ---------------------------------------------------------------- the same keys, one per row

# A workbook's Config sheet: one setting per row, the key as orderdesk.toml's section and key
# joined by dots (``otd.late_tolerance``, ``otd.customers.ACME.late_tolerance``,
# ``rootcause.keywords.material``, ``report.lang``), the value beside it. What a workbook cannot
# use is refused by name: [ledger] (the workbook is the ledger), [mail], report.out_dir, and a
# calendar file (the workbook's Calendar sheet holds those days).
WORKBOOK_SECTIONS = ("otd", "rootcause", "report", "review", "filter")
_CUSTOMER_PREFIX = "otd.customers."


@dataclass(frozen=True)
class SettingRow:
    key: str
    value: Any
    where: str          # how a message names the row, e.g. "book.xlsx, Config!B4"
    key_where: str      # how a message names the key's cell, e.g. "book.xlsx, Config!A4"


def settings_from_pairs(rows: list[SettingRow]) -> Settings:
    """Settings from ``key = value`` rows (a workbook's Config sheet). Each row is checked on its
    own first, so an error names its cell: ``book.xlsx, Config!B3: [otd] late_tolerance must be a
    whole number, not a string ('abc')``. An empty value leaves the key at its default."""
    raw: dict = {}
    seen: dict[str, str] = {}
    for row in rows:
        if row.value is None or (isinstance(row.value, str) and not row.value.strip()):
            continue
        path = _key_path(row)
        name = ".".join(path).casefold()
        if name in seen:
            raise ConfigError(f"{row.key_where}: {row.key} is set twice (also {seen[name]}) — keep one row")
        seen[name] = row.key_where
        one: dict = {}
        _put(one, path, _cell_setting(row, path))
        try:   # this row alone: the error names its cell (the key's for an unknown key)
            _settings(_Validator(row.where), one, Path.cwd())
        except ConfigError as exc:
            if "unknown key" not in str(exc):
                raise
            raise ConfigError(str(exc).replace(row.where, row.key_where, 1)) from None
        _put(raw, path, one_value(one, path))
    settings, _, _ = _settings(_Validator("Config"), raw, Path.cwd())
    return settings


def one_value(table: dict, path: tuple[str, ...]) -> Any:
    for part in path:
        table = table[part]
    return table


def _put(table: dict, path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        table = table.setdefault(part, {})
    table[path[-1]] = value


def _key_path(row: SettingRow) -> tuple[str, ...]:
    """``otd.customers.A.C.M.E..late_tolerance`` -> ("otd", "customers", "A.C.M.E.", "late_tolerance"):
    a customer name may hold dots (and may be quoted)."""
    key = str(row.key).strip()
    if key.lower().startswith(_CUSTOMER_PREFIX):
        name, dot, last = key[len(_CUSTOMER_PREFIX):].rpartition(".")
        name = name.strip().strip('"').strip()
        if not dot or not name:
            raise ConfigError(f"{row.key_where}: '{key}' names no customer — write "
                              f"otd.customers.<customer>.late_tolerance (or .early_tolerance)")
        return ("otd", "customers", name, last.strip().lower())
    parts = tuple(p.strip().lower() for p in key.split("."))
    if len(parts) < 2 or not all(parts):
        raise ConfigError(f"{row.key_where}: '{key}' is not a setting — write section.key as in orderdesk.toml, "
                          f"e.g. otd.late_tolerance")
    if parts[0] not in WORKBOOK_SECTIONS:
        raise ConfigError(f"{row.key_where}: '{key}' is not a workbook setting — the workbook's settings are "
                          f"{', '.join(s + '.*' for s in WORKBOOK_SECTIONS)}")
    if parts[:2] == ("report", "out_dir") or parts[:2] == ("otd", "calendar") and isinstance(row.value, str) \
            and row.value.strip().lower() not in BUILTIN_CALENDARS:
        raise ConfigError(f"{row.key_where}: {key} is not used in a workbook"
                          + (" — list days off in the Calendar sheet" if parts[1] == "calendar" else ""))
    return parts


def _cell_setting(row: SettingRow, path: tuple[str, ...]) -> Any:
    """A cell value as the TOML value it stands for: a whole number stays whole (Excel hands 3 as
    3.0), a number typed as text is a number, a keyword list is split at commas."""
    value = row.value
    if path[:2] == ("rootcause", "keywords") and isinstance(value, str):
        import re
        return [w.strip() for w in re.split(r"[,，;；、\n]", value) if w.strip()]
    if path[0] == "filter" and isinstance(value, str):   # several names: one per line or ; (names hold commas)
        import re
        return [w.strip() for w in re.split(r"[;；\n]", value) if w.strip()]
    if path[0] == "filter" and value is not None:        # a part number typed as a number
        return [str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return value


class _Validator:
    """Type checks that name the file, section and key in their message."""

    def __init__(self, file: str):
        self.file = file

    def error(self, section: str, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: [{section}] {message}")

    def keys(self, section: str, table: dict, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                if section == "mail" and key == "password":
                    raise self.error(section, "password must not be in this file — put it in an environment "
                                              "variable and name that variable with password_env")
                raise self.error(section, f"unknown key '{key}'")

    def text(self, section: str, table: dict, key: str, *, required: bool = False, default=None) -> Any:
        if key not in table:
            if required:
                raise self.error(section, f"{key} is missing")
            return default
        value = table[key]
        if not isinstance(value, str):
            raise self.error(section, f"{key} must be a string, not {_describe(value)}")
        if not value.strip():
            raise self.error(section, f"{key} is empty")
        return value.strip()

    def integer(self, section: str, table: dict, key: str, *, default=None, minimum: int = 0,
                maximum: int | None = None) -> Any:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(section, f"{key} must be a whole number, not {_describe(value)}")
        if value < minimum:
            raise self.error(section, f"{key} must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise self.error(section, f"{key} must be at most {maximum}, not {value}")
        return value

    def number(self, section: str, table: dict, key: str, *, default: float, positive: bool = False,
               maximum: float | None = None) -> float:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(section, f"{key} must be a number, not {_describe(value)}")
        if not math.isfinite(value):
            raise self.error(section, f"{key} must be a finite number, not {value}")
        if value < 0 or (positive and value == 0):
            raise self.error(section, f"{key} must be {'greater than 0' if positive else 'at least 0'}, not {value}")
        if maximum is not None and value > maximum:
            raise self.error(section, f"{key} must be at most {maximum:g} seconds, not {value:g}")
        return float(value)

    def choice(self, section: str, table: dict, key: str, choices: tuple[str, ...], *, default=None) -> Any:
        value = self.text(section, table, key, default=default)
        if value is not None and value not in choices:
            raise self.error(section, f"{key} must be one of {', '.join(choices)}, not '{value}'")
        return value

    def path(self, section: str, table: dict, key: str, folder: Path, *, required: bool = False,
             must_exist: bool = True) -> Path | None:
        text = self.text(section, table, key, required=required)
        if text is None:
            return None
        resolved = (folder / Path(text).expanduser()).absolute()
        if must_exist and not resolved.is_file():
            raise self.error(section, f"{key}: file not found: {resolved}")
        return resolved


def _table(v: _Validator, raw: dict, name: str, *, required: bool = False) -> dict:
    if name not in raw:
        if required:
            raise ConfigError(f"{v.file}: [{name}] section is missing")
        return {}
    if not isinstance(raw[name], dict):
        raise ConfigError(f"{v.file}: [{name}] must be a table, not {_describe(raw[name])}")
    return raw[name]


def _describe(value: Any) -> str:
    kind = {bool: "true/false", int: "a whole number", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)
    return f"{kind} ({value!r})" if not isinstance(value, (list, dict)) else kind


def _ledger(v: _Validator, t: dict, folder: Path) -> LedgerConfig:
    v.keys("ledger", t, _LEDGER_KEYS)
    return LedgerConfig(path=v.path("ledger", t, "path", folder, required=True),
                        sheet=v.text("ledger", t, "sheet"),
                        map=v.path("ledger", t, "map", folder))


def _otd(v: _Validator, t: dict, folder: Path,
         keywords: Mapping[str, tuple[str, ...]]) -> tuple[OtdSettings, str | Path]:
    v.keys("otd", t, _OTD_KEYS)
    calendar: str | Path = v.text("otd", t, "calendar", default="cn")
    if calendar not in BUILTIN_CALENDARS:
        calendar = v.path("otd", t, "calendar", folder)
    customers: dict[str, tuple[int | None, int | None]] = {}
    table = t.get("customers", {})
    if not isinstance(table, dict):
        raise v.error("otd", f"customers must be a table, not {_describe(table)}")
    for name, entry in table.items():
        section = f'otd.customers."{name}"'
        if not isinstance(entry, dict):
            raise v.error(section, f"must be a table, not {_describe(entry)}")
        v.keys(section, entry, _CUSTOMER_KEYS)
        customers[name] = (v.integer(section, entry, "late_tolerance", maximum=MAX_DAY_COUNT),
                           v.integer(section, entry, "early_tolerance", maximum=MAX_DAY_COUNT))
    suppliers: dict[str, tuple[int | None, int | None]] = {}   # [otd.suppliers."X"]: purchase lines (SPEC 10)
    table = t.get("suppliers", {})
    if not isinstance(table, dict):
        raise v.error("otd", f"suppliers must be a table, not {_describe(table)}")
    for name, entry in table.items():
        section = f'otd.suppliers."{name}"'
        if not isinstance(entry, dict):
            raise v.error(section, f"must be a table, not {_describe(entry)}")
        v.keys(section, entry, _CUSTOMER_KEYS)
        suppliers[name] = (v.integer(section, entry, "late_tolerance", maximum=MAX_DAY_COUNT),
                           v.integer(section, entry, "early_tolerance", maximum=MAX_DAY_COUNT))
    settings = OtdSettings(basis=v.choice("otd", t, "basis", BASES, default="promised"),
                           late_tolerance=v.integer("otd", t, "late_tolerance", default=0, maximum=MAX_DAY_COUNT),
                           early_tolerance=v.integer("otd", t, "early_tolerance", maximum=MAX_DAY_COUNT),
                           customer_tolerances=customers, supplier_tolerances=suppliers,
                           major_days=v.integer("otd", t, "major_days", default=3, minimum=1, maximum=MAX_DAY_COUNT),
                           risk_horizon=v.integer("otd", t, "risk_horizon", default=3, maximum=MAX_DAY_COUNT),
                           weight=v.choice("otd", t, "weight", WEIGHTS, default="lines"),
                           cause_keywords=dict(keywords))
    return settings, calendar


def _keywords(v: _Validator, t: dict) -> Mapping[str, tuple[str, ...]]:
    v.keys("rootcause", t, {"keywords"})
    table = t.get("keywords", {})
    if not isinstance(table, dict):
        raise v.error("rootcause", f"keywords must be a table, not {_describe(table)}")
    keywords: dict[str, tuple[str, ...]] = {}
    for cause, words in table.items():
        if cause not in ROOT_CAUSES:
            raise v.error("rootcause.keywords", f"unknown root cause '{cause}' (expected one of {', '.join(ROOT_CAUSES)})")
        if isinstance(words, str):
            words = [words]
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise v.error("rootcause.keywords", f"{cause} must be a list of non-empty strings")
        keywords[cause] = tuple(w.strip() for w in words)
    return keywords


def _report(v: _Validator, t: dict, folder: Path) -> ReportConfig:
    v.keys("report", t, _REPORT_KEYS)
    out_dir = v.text("report", t, "out_dir", default="reports")
    return ReportConfig(lang=v.choice("report", t, "lang", LANGS),
                        out_dir=(folder / Path(out_dir).expanduser()).absolute())


def _no_line_breaks(v: _Validator, key: str, value: str) -> None:
    # A CR or LF in anything that ends up in a header would let the file inject headers (Bcc: ...).
    if "\r" in value or "\n" in value:
        raise v.error("mail", f"{key} contains a line break (CR or LF); it would end up in a mail header — "
                              "write it on one line")


def _address(v: _Validator, key: str, text: str) -> str:
    _no_line_breaks(v, key, text)
    if len(getaddresses([text])) != 1:
        raise v.error("mail", f"{key}: '{text}' holds more than one address — write one address per list entry")
    name, addr = parseaddr(text, strict=True) if _parseaddr_is_strict() else parseaddr(text)
    problem = None
    if not addr or "@" not in addr:
        problem = "is not an e-mail address (expected name@example.com or Name <name@example.com>)"
    elif not addr.isascii():
        problem = "has non-ASCII characters in the address itself (only the display name may have them)"
    else:
        try:
            local, _, domain = addr.rpartition("@")
            parsed = Address(display_name=name, username=local, domain=domain)
            if not local or not domain or "." not in domain.strip(".") or parsed.addr_spec != addr:
                problem = "is not an e-mail address (expected name@example.com or Name <name@example.com>)"
        except (ValueError, IndexError):
            problem = "is not an e-mail address (expected name@example.com or Name <name@example.com>)"
    if problem:
        raise v.error("mail", f"{key}: '{text}' {problem}")
    return text


def _parseaddr_is_strict() -> bool:
    import inspect
    return "strict" in inspect.signature(parseaddr).parameters


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _mail(v: _Validator, t: Any, folder: Path, env: Mapping[str, str], require_password: bool) -> MailConfig:
    if not isinstance(t, dict):
        raise ConfigError(f"{v.file}: [mail] must be a table, not {_describe(t)}")
    v.keys("mail", t, _MAIL_KEYS)
    host = v.text("mail", t, "host", required=True)
    _no_line_breaks(v, "host", host)
    try:   # what the connection will do with it: a label over 63 characters or an empty one fails there
        host.strip("[]").encode("idna")
    except UnicodeError:
        raise v.error("mail", f"host '{host[:80]}' is not a host name (each dot-separated part 1-63"
                              f" characters)") from None
    security = v.choice("mail", t, "security", SECURITY, default="starttls")
    if security == "none" and not _is_loopback(host):
        raise v.error("mail", f"security = \"none\" would send the workbook and the password unencrypted; "
                              f"it is allowed only for a loopback host, not '{host}' — use \"starttls\" or \"ssl\"")
    port = v.integer("mail", t, "port", default=DEFAULT_PORTS[security], minimum=1)
    if port > 65535:
        raise v.error("mail", f"port must be at most 65535, not {port}")

    sender = _address(v, "sender", v.text("mail", t, "sender", required=True))
    to_raw = t.get("to")
    if to_raw is None:
        raise v.error("mail", "to is missing")
    if isinstance(to_raw, str):
        to_raw = [to_raw]
    if not isinstance(to_raw, list) or not to_raw:
        raise v.error("mail", f"to must be a list of e-mail addresses, not {_describe(to_raw)}")
    to: list[str] = []
    seen: set[str] = set()
    for item in to_raw:
        if not isinstance(item, str):
            raise v.error("mail", f"to must be a list of e-mail addresses, not {_describe(item)}")
        _address(v, "to", item.strip())
        key = parseaddr(item)[1].lower()
        if key in seen:
            raise v.error("mail", f"to: '{item.strip()}' is listed twice")
        seen.add(key)
        to.append(item.strip())

    subject = v.text("mail", t, "subject")
    if subject is not None:
        _no_line_breaks(v, "subject", subject)
        try:
            parts = list(string.Formatter().parse(subject))
        except ValueError as exc:
            raise v.error("mail", f"subject: {exc} (write a literal brace as {{{{ or }}}})") from None
        for _, name, spec, conversion in parts:
            if name is None:
                continue
            if name not in SUBJECT_FIELDS:
                raise v.error("mail", f"subject: unknown placeholder {{{name}}} (use {{month}} and {{otd}})")
            if spec or conversion:   # {otd:d} fails at send time, {month:>1500000000} takes 1.5 GB
                shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
                raise v.error("mail", f"subject: {shown[:40]} — a placeholder takes no format here"
                                      f" (write {{{name}}})")

    user = v.text("mail", t, "user")
    if user is not None:
        _no_line_breaks(v, "user", user)
    password_env = v.text("mail", t, "password_env")
    password = None
    if user is not None:
        if password_env is None:
            raise v.error("mail", "user is set but password_env is missing — name the environment variable "
                                  "that holds the password")
        password = env.get(password_env)
        if require_password and not password:
            raise v.error("mail", f"password_env: the environment variable {password_env} is not set "
                                  f"(it must hold the password for {user})")
    return MailConfig(host=host, port=port, security=security, sender=sender, to=tuple(to), user=user,
                      password_env=password_env, password=password,
                      cacert=v.path("mail", t, "cacert", folder),
                      subject=subject,
                      timeout=v.number("mail", t, "timeout", default=60.0, positive=True, maximum=MAIL_MAX_SECONDS),
                      retries=v.integer("mail", t, "retries", default=3, maximum=MAIL_MAX_RETRIES),
                      retry_delay=v.number("mail", t, "retry_delay", default=30.0, maximum=MAIL_MAX_SECONDS))
