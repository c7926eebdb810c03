"""The escalation digest (SPEC section 11): major exceptions (days late ≥ ``[otd] major_days``)
and actions past their deadline, with owner, action and deadline, e-mailed to the department
head — ``[escalation] to`` — once per day and recipient, with the record, lock, retry and exit
rules of the monthly job (``addin.jobs.monthly``: the same ``SentLog`` and journal beside the
config, keyed ``escalation YYYY-MM-DD``, and its send-and-record loop ``Deliveries``). The
Message-ID comes from the day, the recipient and the digest's text.

``orderdesk.toml``::

    [escalation]
    to = ["head.of.operations@example.com"]
    lang = "zh"                 # default: [report] lang, else English

A day with nothing to escalate sends nothing (the head is not trained to ignore empty mail);
``orderdesk escalate LEDGER`` prints the same list without sending.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Callable

import pandas as pd

from addin.config import Config, Settings
from addin.errors import ConfigError
from addin.jobs.inputs import Source, frame

__all__ = ["EscalationConfig", "Digest", "EscalationOutcome", "Delivery", "read_escalation_config",
           "escalation_digest", "digest_json", "run_escalation", "LOCK_FILE"]

LOCK_FILE = ".orderdesk-escalation.lock"
_KEYS = {"to", "lang"}


@dataclass(frozen=True)
class EscalationConfig:
    to: tuple[str, ...]
    lang: str | None


@dataclass(frozen=True)
class Digest:
    """The lines to escalate (``addin.compute.escalation.escalations``) and the message text."""
    as_of: dt.date
    table: pd.DataFrame
    counts: dict
    major_days: int
    subject: str
    body: str


@dataclass(frozen=True)
class Delivery:
    recipient: str
    status: str          # sent | already_sent | failed | not_attempted | would_send | unrecorded (sent,
                         # the record not written: kept in the journal, or resent with the same Message-ID)
    reply: str = ""


@dataclass(frozen=True)
class EscalationOutcome:
    day: str
    digest: Digest
    deliveries: tuple[Delivery, ...]
    dry_run: bool = False

    def with_status(self, *statuses: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.status in statuses]

    @property
    def ok(self) -> bool:
        return not self.with_status("failed", "not_attempted", "unrecorded")


def read_escalation_config(config: Config) -> EscalationConfig:
    """The ``[escalation]`` table of the config file, checked (every error names the key)."""
    from addin.config import config_section
    file = config.path.name
    raw = config_section(config.path, "escalation")
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: [escalation] section is missing — the digest needs "
                          f"to = [\"head@example.com\"]")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"{file}: [escalation] unknown key '{unknown[0]}'")
    to = raw.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(a, str) and "@" in parseaddr(a)[1] for a in to):
        raise ConfigError(f"{file}: [escalation] to must list one or more e-mail addresses")
    if any("\r" in a or "\n" in a for a in to):
        raise ConfigError(f"{file}: [escalation] to contains a line break")
    lang = raw.get("lang", config.report.lang)
    if lang is not None and lang not in ("zh", "en"):
        raise ConfigError(f"{file}: [escalation] lang must be \"zh\" or \"en\", not {lang!r}")
    return EscalationConfig(tuple(to), lang)


def _day(value: Any) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _text(value: Any, lang: str) -> str:
    from addin.i18n import t
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return t("esc.none", lang)
    return " ".join(str(value).split())      # one line: no line break from a cell reaches the mail


def _lines(table: pd.DataFrame, lang: str) -> list[str]:
    from addin.compute.rootcause import cause_label
    from addin.i18n import t
    out = []
    for i, r in enumerate(table.to_dict("records"), start=1):
        key = _text(r["order_no"], lang) + ("" if r["line_no"] is None or pd.isna(r["line_no"]) else f"/{r['line_no']}")
        reasons = []
        if "major" in r["reason"]:
            reasons.append(t("esc.why_major", lang, days=int(r["days_late"]), due=_day(r["due_date"])))
        if "action_overdue" in r["reason"]:
            reasons.append(t("esc.why_action", lang, days=int(r["days_past_deadline"]),
                             deadline=_day(r["action_deadline"])))
        cause = r["root_cause"]
        out.append(t("esc.line", lang, n=i, line=key, customer=_text(r["customer"], lang),
                     part=_text(r["part_no"], lang), why=t("esc.sep", lang).join(reasons)))
        out.append(t("esc.detail", lang, owner=_text(r["owner"], lang), problem=_text(r["problem"], lang),
                     cause=cause_label(cause, lang) if isinstance(cause, str) else t("esc.none", lang),
                     action=_text(r["action"], lang),
                     deadline=_day(r["action_deadline"]) or t("esc.none", lang)))
    return out


def escalation_digest(ledger: Source, settings: Settings, *, as_of: dt.date, lang: str = "en") -> Digest:
    """The digest of ``ledger`` at ``as_of`` with the settings' basis, tolerances and major days."""
    from addin.compute.escalation import counts, escalations
    from addin.compute.otd import classify, has_completion_column
    from addin.i18n import t
    classified = classify(frame(ledger), as_of, settings.otd, completion=has_completion_column(ledger))
    table = escalations(classified, as_of, settings.otd.major_days, settings.otd.cause_keywords)
    n = counts(table)
    major_days = settings.otd.major_days
    subject = t("esc.subject", lang, major=n["major"], actions=n["action_overdue"], day=as_of.isoformat())
    head = [t("esc.intro", lang, day=as_of.isoformat(), major=n["major"], days=major_days,
              actions=n["action_overdue"])]
    body = head + [""] + (_lines(table, lang) if len(table) else [t("esc.nothing", lang)]) + \
        ["", t("esc.footer", lang, basis=t(f"basis.{settings.otd.basis}", lang))]
    return Digest(as_of, table, n, major_days, subject, "\n".join(body) + "\n")


def digest_json(digest: Digest) -> dict:
    """``orderdesk escalate --format json``: the counts and one object per line."""
    def plain(value: Any) -> Any:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return None
        if isinstance(value, (pd.Timestamp, dt.date)) or hasattr(value, "dtype") and "datetime" in str(value.dtype):
            return _day(value) or None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    rows = []
    for r in digest.table.to_dict("records"):
        row = {k: plain(v) for k, v in r.items()}
        row["due_date"], row["action_deadline"] = _day(r["due_date"]) or None, _day(r["action_deadline"]) or None
        rows.append(row)
    return {"as_of": digest.as_of.isoformat(), "major_days": digest.major_days, **digest.counts, "escalations": rows}


def run_escalation(config: Config, *, as_of: dt.date, dry_run: bool = False, force: bool = False,
                   sleep: Callable[[float], None] = time.sleep, lock_timeout: float = 600.0) -> EscalationOutcome:
    """Send today's digest to each ``[escalation] to`` recipient who has not had it (all of them
    with ``force``). Nothing to escalate: nothing sent. SMTP failures are in the outcome, not raised."""
    from addin.jobs.inputs import read_ledger
    from addin.jobs.monthly import SENT_DB, Deliveries, RunLock, SentLog
    from addin.mail import content_key, text_message
    if config.mail is None and not dry_run:
        raise ConfigError(f"{config.path.name}: [mail] section is missing — the digest needs host and sender")
    esc = read_escalation_config(config)
    lang = esc.lang or "en"
    ledger = read_ledger(config.ledger.path, sheet=config.ledger.sheet, mapping=config.ledger.map)
    digest = escalation_digest(ledger, config.settings, as_of=as_of, lang=lang)
    day = as_of.isoformat()
    if not len(digest.table):
        return EscalationOutcome(day, digest, (), dry_run)
    key = f"escalation {day}"
    content = content_key(digest.body)     # what the digest says: a rerun the same day sends the same ID
    results: list[Delivery | None] = []    # None: sent by ``sender``, its outcome read after ``finish``
    with RunLock(config.folder / LOCK_FILE, timeout=lock_timeout, name="'orderdesk escalate --send' run"):
        log = SentLog(config.folder / SENT_DB)
        try:
            log.replay()
            sender = Deliveries(log, config.mail, sleep=sleep)
            for to in esc.to:
                addr = parseaddr(to)[1]
                state = log.state(key, addr)
                if not force and state == "sent":
                    results.append(Delivery(to, "already_sent"))
                    continue
                if dry_run:
                    results.append(Delivery(to, "would_send"))
                    continue
                results.append(None)
                sender.send(key, to, text_message(sender=config.mail.sender, recipient=to, subject=digest.subject,
                                                  body=digest.body, key=key, content=content), content, state=state)
            outcomes = sender.finish()
        finally:
            log.close()
    deliveries = []
    for to, d in zip(esc.to, results):
        if d is None:
            outcome = outcomes[(key, parseaddr(to)[1])]
            d = Delivery(to, outcome.status, outcome.reply)
        deliveries.append(d)
    return EscalationOutcome(day, digest, tuple(deliveries), dry_run)
