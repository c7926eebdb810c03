"""orderdesk.toml (SPEC section 8): the example loads; every mistake is a ConfigError naming the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from addin.config import load_config
from addin.errors import ConfigError
from addin.compute.otd import OtdSettings

ENV = {"ORDERDESK_SMTP_PASSWORD": "pw"}

SPEC_EXAMPLE = """\
[ledger]
path = "ledger.xlsx"            # every relative path in this file is relative to the file
sheet = "订单跟踪"               # optional
map = "mapping.toml"            # optional header mapping (section 2)

[otd]
basis = "promised"              # promised | requested | first_promised
late_tolerance = 0
early_tolerance = 3             # optional; absent = early counts as on time
risk_horizon = 3                # working days
major_days = 3
calendar = "cn"                 # cn | mon-fri | path to a calendar workbook
[otd.customers."ACME"]
late_tolerance = 2

[rootcause.keywords]            # extends the built-in lists
material = ["PCB延期"]

[report]
lang = "zh"
out_dir = "reports"             # the month's workbook is OTD-YYYY-MM.xlsx in this folder

[mail]
host = "smtp.example.com"
port = 587
security = "starttls"           # starttls | ssl | none (none is refused unless host is loopback)
user = "reports@example.com"
password_env = "ORDERDESK_SMTP_PASSWORD"   # the password is never in this file
sender = "OrderDesk <reports@example.com>"
to = ["manager@example.com", "pmc@example.com"]
cacert = "corp-ca.pem"          # optional extra trusted CA bundle
"""

MINIMAL_MAIL = """\
[ledger]
path = "ledger.xlsx"
[mail]
host = "smtp.example.com"
sender = "reports@example.com"
to = ["manager@example.com"]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("ledger.xlsx", "mapping.toml", "corp-ca.pem"):
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "orderdesk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error(folder: Path, text: str, env=ENV) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(folder, text), env=env)
    return str(info.value)


def test_spec_example_loads(folder: Path) -> None:
    config = load_config(write(folder, SPEC_EXAMPLE), env=ENV)
    assert config.ledger.path == folder / "ledger.xlsx"
    assert config.ledger.sheet == "订单跟踪"
    assert config.ledger.map == folder / "mapping.toml"
    otd = config.otd
    assert (otd.basis, otd.late_tolerance, otd.early_tolerance, otd.risk_horizon, otd.major_days) == \
        ("promised", 0, 3, 3, 3)
    assert isinstance(otd, OtdSettings) and config.calendar == "cn"
    assert otd.customer_tolerances == {"ACME": (2, None)}
    assert config.rootcause_keywords == {"material": ("PCB延期",)}
    assert dict(otd.cause_keywords) == {"material": ("PCB延期",)}
    assert config.report.lang == "zh" and config.report.out_dir == folder / "reports"
    mail = config.mail
    assert (mail.host, mail.port, mail.security, mail.user) == ("smtp.example.com", 587, "starttls", "reports@example.com")
    assert mail.password == "pw" and "pw" not in repr(config)
    assert mail.to == ("manager@example.com", "pmc@example.com")
    assert mail.cacert == folder / "corp-ca.pem"
    assert mail.sender_address == "reports@example.com" and mail.sender_domain == "example.com"


def test_frozen(folder: Path) -> None:
    config = load_config(write(folder, SPEC_EXAMPLE), env=ENV)
    with pytest.raises(AttributeError):
        config.mail.host = "evil.example.com"  # type: ignore[misc]


def test_defaults_and_relative_paths(folder: Path) -> None:
    sub = folder / "jobs"
    sub.mkdir()
    (folder / "cal.xlsx").write_bytes(b"x")
    path = sub / "orderdesk.toml"
    path.write_text('[ledger]\npath = "../ledger.xlsx"\n[otd]\ncalendar = "../cal.xlsx"\n'
                    '[report]\nout_dir = "../out"\n', encoding="utf-8")
    config = load_config(path, env={})
    assert config.ledger.path == (sub / "../ledger.xlsx").absolute()
    assert config.calendar == (sub / "../cal.xlsx").absolute()
    assert config.report.out_dir == (sub / "../out").absolute()
    assert config.report.lang is None and config.mail is None
    assert config.otd.basis == "promised" and config.otd.early_tolerance is None


def test_default_port_follows_security(folder: Path) -> None:
    assert load_config(write(folder, MINIMAL_MAIL), env={}).mail.port == 587
    ssl = MINIMAL_MAIL.replace('host = "smtp.example.com"', 'host = "smtp.example.com"\nsecurity = "ssl"')
    assert load_config(write(folder, ssl), env={}).mail.port == 465


@pytest.mark.parametrize("text, message", [
    (MINIMAL_MAIL.replace('to = ', 'pasword = "x"\nto = '), "orderdesk.toml: [mail] unknown key 'pasword'"),
    (MINIMAL_MAIL + "[reprot]\nlang = 'en'\n", "orderdesk.toml: unknown section [reprot]"),
    (MINIMAL_MAIL.replace('to = ', 'password = "hunter2"\nto = '),
     "orderdesk.toml: [mail] password must not be in this file — put it in an environment variable "
     "and name that variable with password_env"),
    (MINIMAL_MAIL.replace('to = ', 'port = "587"\nto = '),
     "orderdesk.toml: [mail] port must be a whole number, not a string ('587')"),
    (MINIMAL_MAIL.replace('to = ', 'port = 70000\nto = '), "orderdesk.toml: [mail] port must be at most 65535, not 70000"),
    (MINIMAL_MAIL.replace('to = ["manager@example.com"]', 'to = "manager"'),
     "orderdesk.toml: [mail] to: 'manager' is not an e-mail address (expected name@example.com or Name <name@example.com>)"),
    (MINIMAL_MAIL.replace('to = ["manager@example.com"]', 'to = ["a@example.com", "A <A@example.com>"]'),
     "orderdesk.toml: [mail] to: 'A <A@example.com>' is listed twice"),
    (MINIMAL_MAIL.replace('to = ["manager@example.com"]', 'to = ["a@example.com, b@example.com"]'),
     "orderdesk.toml: [mail] to: 'a@example.com, b@example.com' holds more than one address — write one address "
     "per list entry"),
    (MINIMAL_MAIL.replace('to = ["manager@example.com"]', 'to = []'),
     "orderdesk.toml: [mail] to must be a list of e-mail addresses, not a list"),
    (MINIMAL_MAIL.replace('to = ["manager@example.com"]', 'to = [3]'),
     "orderdesk.toml: [mail] to must be a list of e-mail addresses, not a whole number (3)"),
    (MINIMAL_MAIL.replace('sender = "reports@example.com"', 'sender = "OrderDesk reports"'),
     "orderdesk.toml: [mail] sender: 'OrderDesk reports' is not an e-mail address "
     "(expected name@example.com or Name <name@example.com>)"),
    (MINIMAL_MAIL.replace('sender = "reports@example.com"', 'sender = "报表 <报表@example.com>"'),
     "orderdesk.toml: [mail] sender: '报表 <报表@example.com>' has non-ASCII characters in the address itself "
     "(only the display name may have them)"),
    (MINIMAL_MAIL.replace('sender = "reports@example.com"', ''), "orderdesk.toml: [mail] sender is missing"),
    (MINIMAL_MAIL.replace('to = ["manager@example.com"]', ''), "orderdesk.toml: [mail] to is missing"),
    (MINIMAL_MAIL.replace('host = "smtp.example.com"', 'host = "smtp.example.com"\nsecurity = "none"'),
     "orderdesk.toml: [mail] security = \"none\" would send the workbook and the password unencrypted; it is "
     "allowed only for a loopback host, not 'smtp.example.com' — use \"starttls\" or \"ssl\""),
    (MINIMAL_MAIL.replace('host = "smtp.example.com"', 'host = "smtp.example.com"\nsecurity = "tls"'),
     "orderdesk.toml: [mail] security must be one of starttls, ssl, none, not 'tls'"),
    (MINIMAL_MAIL.replace('to = ', 'user = "reports@example.com"\nto = '),
     "orderdesk.toml: [mail] user is set but password_env is missing — name the environment variable that "
     "holds the password"),
    (MINIMAL_MAIL.replace('to = ', 'cacert = "missing.pem"\nto = '), None),  # message holds the absolute path
    (MINIMAL_MAIL.replace('to = ', 'retry_delay = -1\nto = '), "orderdesk.toml: [mail] retry_delay must be at least 0, not -1"),
    ("[report]\nlang = 'en'\n", "orderdesk.toml: [ledger] section is missing"),
    ("[ledger]\nsheet = 'x'\n", "orderdesk.toml: [ledger] path is missing"),
    ("[ledger]\npath = 3\n", "orderdesk.toml: [ledger] path must be a string, not a whole number (3)"),
    ("ledger = 'ledger.xlsx'\n", "orderdesk.toml: [ledger] must be a table, not a string ('ledger.xlsx')"),
    ('[ledger]\npath = "ledger.xlsx"\n[otd]\nbasis = "due"\n',
     "orderdesk.toml: [otd] basis must be one of promised, requested, first_promised, agreed, not 'due'"),
    ('[ledger]\npath = "ledger.xlsx"\n[otd]\nlate_tolerance = -1\n',
     "orderdesk.toml: [otd] late_tolerance must be at least 0, not -1"),
    ('[ledger]\npath = "ledger.xlsx"\n[otd]\nlate_tolerance = 1.5\n',
     "orderdesk.toml: [otd] late_tolerance must be a whole number, not a number (1.5)"),
    ('[ledger]\npath = "ledger.xlsx"\n[otd]\nmajor_days = true\n',
     "orderdesk.toml: [otd] major_days must be a whole number, not true/false (True)"),
    ('[ledger]\npath = "ledger.xlsx"\n[otd.customers."ACME"]\nlate_tolerence = 2\n',
     "orderdesk.toml: [otd.customers.\"ACME\"] unknown key 'late_tolerence'"),
    ('[ledger]\npath = "ledger.xlsx"\n[rootcause.keywords]\nmaterials = ["x"]\n',
     "orderdesk.toml: [rootcause.keywords] unknown root cause 'materials' (expected one of material, quality, "
     "equipment, engineering, capacity, customer, logistics, force_majeure, other)"),
    ('[ledger]\npath = "ledger.xlsx"\n[rootcause.keywords]\nmaterial = ["", "x"]\n',
     "orderdesk.toml: [rootcause.keywords] material must be a list of non-empty strings"),
    ('[ledger]\npath = "ledger.xlsx"\n[report]\nlang = "fr"\n',
     "orderdesk.toml: [report] lang must be one of zh, en, not 'fr'"),
    ('[ledger]\npath = "ledger.xlsx"\n[ledger]\npath = "x"\n', None),  # TOML error, message from tomllib
])
def test_errors_name_the_key(folder: Path, text: str, message: str | None) -> None:
    got = error(folder, text)
    if message is None:
        assert got.startswith("orderdesk.toml: ")
    else:
        assert got == message


def test_ledger_that_does_not_exist(folder: Path) -> None:
    got = error(folder, '[ledger]\npath = "nope.xlsx"\n')
    assert got == f"orderdesk.toml: [ledger] path: file not found: {folder / 'nope.xlsx'}"


def test_cacert_that_does_not_exist(folder: Path) -> None:
    got = error(folder, MINIMAL_MAIL.replace('to = ', 'cacert = "missing.pem"\nto = '))
    assert got == f"orderdesk.toml: [mail] cacert: file not found: {folder / 'missing.pem'}"


def test_password_env_not_set(folder: Path) -> None:
    text = MINIMAL_MAIL.replace('to = ', 'user = "reports@example.com"\npassword_env = "ORDERDESK_SMTP_PASSWORD"\nto = ')
    assert error(folder, text, env={}) == ("orderdesk.toml: [mail] password_env: the environment variable "
                                           "ORDERDESK_SMTP_PASSWORD is not set (it must hold the password for "
                                           "reports@example.com)")
    # a dry run does not need it
    assert load_config(folder / "orderdesk.toml", env={}, require_password=False).mail.password is None


@pytest.mark.parametrize("key, value", [
    ("subject", '"OTD {month}\\r\\nBcc: everyone@example.com"'),
    ("sender", '"OrderDesk\\nBcc: x@example.com <reports@example.com>"'),
    ("host", '"smtp.example.com\\r\\nRCPT TO:<x@example.com>"'),
    ("user", '"""reports@example.com\r\nX: y"""'),
])
def test_line_breaks_rejected(folder: Path, key: str, value: str) -> None:
    keys = {"host": '"smtp.example.com"', "sender": '"reports@example.com"', "to": '["manager@example.com"]',
            "password_env": '"ORDERDESK_SMTP_PASSWORD"', key: value}
    text = '[ledger]\npath = "ledger.xlsx"\n[mail]\n' + "".join(f"{k} = {v}\n" for k, v in keys.items())
    assert error(folder, text) == (f"orderdesk.toml: [mail] {key} contains a line break (CR or LF); it would end up "
                                   f"in a mail header — write it on one line")


def test_line_break_in_recipient_name(folder: Path) -> None:
    text = MINIMAL_MAIL.replace('to = ["manager@example.com"]', 'to = ["Li\\r\\nBcc: x@example.com <li@example.com>"]')
    assert error(folder, text) == ("orderdesk.toml: [mail] to contains a line break (CR or LF); it would end up in "
                                   "a mail header — write it on one line")


def test_subject_placeholders(folder: Path) -> None:
    ok = MINIMAL_MAIL.replace("to = ", 'subject = "Factory 1 OTD {month}: {otd}"\nto = ')
    assert load_config(write(folder, ok), env={}).mail.subject == "Factory 1 OTD {month}: {otd}"
    bad = MINIMAL_MAIL.replace("to = ", 'subject = "OTD {mnth}"\nto = ')
    assert error(folder, bad) == "orderdesk.toml: [mail] subject: unknown placeholder {mnth} (use {month} and {otd})"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_security_none_allowed_on_loopback(folder: Path, host: str) -> None:
    text = MINIMAL_MAIL.replace('host = "smtp.example.com"', f'host = "{host}"\nsecurity = "none"')
    assert load_config(write(folder, text), env={}).mail.security == "none"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "orderdesk.toml")
    assert str(info.value) == f"{tmp_path / 'orderdesk.toml'}: configuration file not found"


def test_not_toml(folder: Path) -> None:
    got = error(folder, "[ledger\npath = 1\n")
    assert got.startswith("orderdesk.toml: not valid TOML: ")
