"""The weekly customer notices (SPEC section 11): each configured customer's progress notice
(``addin.jobs.notice``) e-mailed to that customer's recipients, once per ISO week and recipient,
with the record, lock, retry and exit rules of the monthly job (``addin.jobs.monthly``: the same
``SentLog`` and journal beside the config, keyed ``notice YYYY-Www customer``, and its send-and-record
loop ``Deliveries``; a lock held for the run). The Message-ID comes from the week, the customer, the
recipient and what the notice says (not the workbook's bytes, which change on every rebuild), so a
rerun after a crash between the server's 250 and the record sends the same ID.

``orderdesk.toml``::

    [notice]
    weekday = "monday"          # the day the week's notices go out (monday … sunday, 周一 … 周日, 1-7)
    out_dir = "notices"         # notice-<customer>-YYYY-Www.xlsx
    lang = "en"                 # default: [report] lang
    [notice.customers."Nordic Audio"]
    to = ["buyer@nordic.example"]
    lang = "en"                 # the customer's language

A run before the weekday sends nothing; a run on it or later in the week sends what is missing
(a customer added mid-week gets this week's notice on the next run, the others nothing again).
"""
from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Callable

from addin.config import Config
from addin.errors import ConfigError, InputError
from addin.jobs.monthly import SENT_DB, Deliveries, RunLock, SentLog, file_sha256

__all__ = ["NoticeConfig", "CustomerRecipients", "WeeklyOutcome", "NoticeDelivery", "read_notice_config",
           "run_weekly", "week_key", "LOCK_FILE"]

LOCK_FILE = ".orderdesk-notice.lock"
_DAYS = {"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
         "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_ZH_DAYS = "一二三四五六日"
_KEYS = {"weekday", "out_dir", "lang", "customers"}
_CUSTOMER_KEYS = {"to", "lang"}


@dataclass(frozen=True)
class CustomerRecipients:
    customer: str
    to: tuple[str, ...]
    lang: str | None = None


@dataclass(frozen=True)
class NoticeConfig:
    weekday: int                      # ISO: Monday 1 … Sunday 7
    out_dir: Path
    lang: str | None
    customers: tuple[CustomerRecipients, ...]


@dataclass(frozen=True)
class NoticeDelivery:
    customer: str
    recipient: str
    status: str          # sent | already_sent | failed | not_attempted | would_send | unrecorded (sent,
                         # the record not written: kept in the journal, or resent with the same Message-ID)
    reply: str = ""
    workbook: Path | None = None


@dataclass(frozen=True)
class WeeklyOutcome:
    week: str                         # 2026-W47
    due: bool                         # the weekday has come (or --force)
    deliveries: tuple[NoticeDelivery, ...]
    dry_run: bool = False

    def with_status(self, *statuses: str) -> list[NoticeDelivery]:
        return [d for d in self.deliveries if d.status in statuses]

    @property
    def ok(self) -> bool:
        return not self.with_status("failed", "not_attempted", "unrecorded")


def _weekday(file: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7:
        return value
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _DAYS:
            return _DAYS[text]
        m = re.fullmatch(r"(?:周|星期|礼拜)([一二三四五六日天])", text)
        if m:
            return 7 if m.group(1) in "日天" else _ZH_DAYS.index(m.group(1)) + 1
    raise ConfigError(f"{file}: [notice] weekday {value!r} is not a day of the week "
                      f"(monday … sunday, 周一 … 周日, or 1-7 from Monday)")


def read_notice_config(config: Config) -> NoticeConfig:
    """The ``[notice]`` table of the config file, checked (every error names the key)."""
    from addin.config import config_section
    file = config.path.name
    raw = config_section(config.path, "notice")
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: [notice] section is missing — the weekly notices need "
                          f"[notice.customers.\"NAME\"] with to = [addresses]")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"{file}: [notice] unknown key '{unknown[0]}'")
    lang = raw.get("lang", config.report.lang)
    if lang is not None and lang not in ("zh", "en"):
        raise ConfigError(f"{file}: [notice] lang must be \"zh\" or \"en\", not {lang!r}")
    out_dir = raw.get("out_dir", "notices")
    if not isinstance(out_dir, str) or not out_dir.strip():
        raise ConfigError(f"{file}: [notice] out_dir must be a folder name")
    customers = raw.get("customers")
    if not isinstance(customers, dict) or not customers:
        raise ConfigError(f"{file}: [notice.customers] is missing — name each customer and its recipients: "
                          f"[notice.customers.\"NAME\"] to = [\"buyer@example.com\"]")
    out: list[CustomerRecipients] = []
    for name, table in customers.items():
        where = f"[notice.customers.\"{name}\"]"
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: {where} must be a table with to = [addresses]")
        bad = sorted(set(table) - _CUSTOMER_KEYS)
        if bad:
            raise ConfigError(f"{file}: {where} unknown key '{bad[0]}'")
        to = table.get("to")
        if isinstance(to, str):
            to = [to]
        if not isinstance(to, list) or not to or not all(isinstance(a, str) and "@" in parseaddr(a)[1] for a in to):
            raise ConfigError(f"{file}: {where} to must list one or more e-mail addresses")
        if any("\r" in a or "\n" in a for a in to):
            raise ConfigError(f"{file}: {where} to contains a line break")
        own = table.get("lang", lang)
        if own is not None and own not in ("zh", "en"):
            raise ConfigError(f"{file}: {where} lang must be \"zh\" or \"en\", not {own!r}")
        out.append(CustomerRecipients(name, tuple(to), own))
    folder = Path(out_dir)
    return NoticeConfig(_weekday(file, raw.get("weekday", "monday")),
                        folder if folder.is_absolute() else config.folder / folder, lang, tuple(out))


def week_key(as_of: dt.date) -> str:
    year, week, _ = as_of.isocalendar()
    return f"{year}-W{week:02d}"


def _file_part(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("._")[:60] or "customer"


def notice_key(job) -> str:
    """What a notice says (subject, body and the tables its workbook is written from), as a hash:
    the Message-ID's content, the same for a rebuilt workbook."""
    from addin.mail import content_key
    n = job.notice
    return content_key(job.subject, job.body, *(t.to_csv(index=False) for t in (n.open_lines, n.at_risk, n.shipped)))


def run_weekly(config: Config, *, as_of: dt.date, dry_run: bool = False, force: bool = False,
               sleep: Callable[[float], None] = time.sleep, lock_timeout: float = 600.0) -> WeeklyOutcome:
    """Send this ISO week's notice of every configured customer to each of its recipients who has
    not had it (all of them with ``force``, also before the weekday). SMTP failures and a
    customer the ledger does not know are in the outcome, not raised."""
    from addin.jobs.inputs import read_ledger
    from addin.jobs.notice import customer_progress, write_notice
    from addin.mail import text_message
    if config.mail is None:
        raise ConfigError(f"{config.path.name}: [mail] section is missing — the weekly notices need host and sender")
    notice = read_notice_config(config)
    week = week_key(as_of)
    if as_of.isoweekday() < notice.weekday and not force:
        return WeeklyOutcome(week, False, ())
    mail = config.mail
    results: list[NoticeDelivery] = []
    sent: list[tuple[int, str, str]] = []     # (index in results, key, address) of each message sent
    with RunLock(config.folder / LOCK_FILE, timeout=lock_timeout, name="'orderdesk weekly' run"):
        log = SentLog(config.folder / SENT_DB)
        try:
            log.replay()
            sender = Deliveries(log, mail, sleep=sleep)
            ledger = None
            for entry in notice.customers:
                key = f"notice {week} {entry.customer}"
                recipients = [(to, parseaddr(to)[1]) for to in entry.to]
                states = {addr: log.state(key, addr) for _, addr in recipients}
                pending = [(to, addr) for to, addr in recipients if force or states[addr] != "sent"]
                done = [NoticeDelivery(entry.customer, to, "already_sent") for to, addr in recipients
                        if (to, addr) not in pending]
                results += done
                if not pending:
                    continue
                if sender.stop is not None:
                    results += [NoticeDelivery(entry.customer, to, "not_attempted", sender.stop) for to, _ in pending]
                    continue
                try:
                    if ledger is None:
                        ledger = read_ledger(config.ledger.path, sheet=config.ledger.sheet, mapping=config.ledger.map)
                    lang = entry.lang or notice.lang or "en"
                    job = customer_progress(ledger, entry.customer, config.settings, as_of=as_of, lang=lang)
                    out = notice.out_dir / f"notice-{_file_part(entry.customer)}-{week}.xlsx"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    write_notice(out, job, inputs=[config.ledger.path, config.path])
                except InputError as exc:
                    if ledger is None:
                        raise   # the ledger itself cannot be used: exit 1, nothing sent
                    results += [NoticeDelivery(entry.customer, to, "failed", str(exc)) for to, _ in pending]
                    continue
                sha, content = file_sha256(out), notice_key(job)
                for to, addr in pending:
                    if dry_run:
                        results.append(NoticeDelivery(entry.customer, to, "would_send", workbook=out))
                        continue
                    message = text_message(sender=mail.sender, recipient=to, subject=job.subject, body=job.body,
                                           key=key, content=content, attachment=out)
                    sent.append((len(results), key, addr))
                    results.append(NoticeDelivery(entry.customer, to, "", workbook=out))
                    sender.send(key, to, message, sha, state=states[addr])
            outcomes = sender.finish()
        finally:
            log.close()
    for i, key, addr in sent:
        outcome = outcomes[(key, addr)]
        results[i] = NoticeDelivery(results[i].customer, results[i].recipient, outcome.status, outcome.reply,
                                    results[i].workbook)
    return WeeklyOutcome(week, True, tuple(results), dry_run=dry_run)
