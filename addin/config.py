"""``orderdesk.toml`` (SPEC section 8): read with tomllib, validated key by key, returned as a
frozen dataclass tree. Every error is a ``ConfigError`` whose message starts with the file name
and names the section and key, e.g. ``orderdesk.toml: [mail] unknown key 'pasword'``.

Secrets never live in the file: ``[mail] password_env`` names an environment variable, which is
read here (once) so a missing password is reported before any work is done.
"""
from __future__ import annotations

import ipaddress
import os
import string
import sys
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any, Mapping

from addin.errors import ConfigError
from addin.compute.otd import OtdSettings
from addin.defaults import BASES, LANGS, WEIGHTS
from addin.compute.rootcause import CAUSES as ROOT_CAUSES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

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


@dataclass(frozen=True)
class Config:
    path: Path                   # the config file itself (absolute)
    ledger: LedgerConfig
    otd: OtdSettings             # [otd] plus [rootcause.keywords] as cause_keywords
    calendar: str | Path         # "cn", "mon-fri" or the absolute path of a calendar workbook
    rootcause_keywords: Mapping[str, tuple[str, ...]]
    report: ReportConfig
    mail: MailConfig | None

    @property
    def folder(self) -> Path:
        return self.path.parent


_SECTIONS = {"ledger", "otd", "rootcause", "report", "mail"}
_LEDGER_KEYS = {"path", "sheet", "map"}
_OTD_KEYS = {"weight", "basis", "late_tolerance", "early_tolerance", "risk_horizon", "major_days", "calendar", "customers"}
_CUSTOMER_KEYS = {"late_tolerance", "early_tolerance"}
_REPORT_KEYS = {"lang", "out_dir"}
_MAIL_KEYS = {"host", "port", "security", "user", "password_env", "sender", "to", "cacert", "subject",
              "timeout", "retries", "retry_delay"}


def load_config(path: str | os.PathLike, *, env: Mapping[str, str] | None = None,
                require_password: bool = True) -> Config:
    """Read and validate ``orderdesk.toml``. ``env`` defaults to ``os.environ``;
    ``require_password=False`` (a dry run) does not insist on the password variable."""
    path = Path(path).absolute()
    env = os.environ if env is None else env
    v = _Validator(path.name)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name}: not UTF-8 text — save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None

    for key in raw:
        if key not in _SECTIONS:
            raise ConfigError(f"{path.name}: unknown section [{key}]")
    folder = path.parent
    ledger = _ledger(v, _table(v, raw, "ledger", required=True), folder)
    keywords = _keywords(v, _table(v, raw, "rootcause"))
    otd, calendar = _otd(v, _table(v, raw, "otd"), folder, keywords)
    report = _report(v, _table(v, raw, "report"), folder)
    mail = _mail(v, raw["mail"], folder, env, require_password) if "mail" in raw else None
    return Config(path=path, ledger=ledger, otd=otd, calendar=calendar, rootcause_keywords=keywords, report=report, mail=mail)


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

    def integer(self, section: str, table: dict, key: str, *, default=None, minimum: int = 0) -> Any:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(section, f"{key} must be a whole number, not {_describe(value)}")
        if value < minimum:
            raise self.error(section, f"{key} must be at least {minimum}, not {value}")
        return value

    def number(self, section: str, table: dict, key: str, *, default: float, positive: bool = False) -> float:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(section, f"{key} must be a number, not {_describe(value)}")
        if value < 0 or (positive and value == 0):
            raise self.error(section, f"{key} must be {'greater than 0' if positive else 'at least 0'}, not {value}")
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
        customers[name] = (v.integer(section, entry, "late_tolerance"), v.integer(section, entry, "early_tolerance"))
    settings = OtdSettings(basis=v.choice("otd", t, "basis", BASES, default="promised"),
                           late_tolerance=v.integer("otd", t, "late_tolerance", default=0),
                           early_tolerance=v.integer("otd", t, "early_tolerance"),
                           customer_tolerances=customers,
                           major_days=v.integer("otd", t, "major_days", default=3, minimum=1),
                           risk_horizon=v.integer("otd", t, "risk_horizon", default=3),
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
            fields = [f for _, f, _, _ in string.Formatter().parse(subject) if f is not None]
        except ValueError as exc:
            raise v.error("mail", f"subject: {exc} (write a literal brace as {{{{ or }}}})") from None
        for name in fields:
            if name not in SUBJECT_FIELDS:
                raise v.error("mail", f"subject: unknown placeholder {{{name}}} (use {{month}} and {{otd}})")

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
                      timeout=v.number("mail", t, "timeout", default=60.0, positive=True),
                      retries=v.integer("mail", t, "retries", default=3),
                      retry_delay=v.number("mail", t, "retry_delay", default=30.0))
