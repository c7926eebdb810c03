"""The scheduled monthly job (SPEC section 8): build the month's workbook, e-mail it once per
month and recipient.

Beside the config file live two small files:

* ``.orderdesk-sent.sqlite`` — one row per (month, recipient): ``sending`` is written before each
  send, ``sent`` or ``failed`` (with the server's reply) after it. A recipient whose row says
  ``sent`` is skipped unless ``force``. A row left at ``sending`` means a run stopped mid-send;
  the next run sends again (the Message-ID is the same, so clients can recognise the copy).
* ``.orderdesk-monthly.lock`` — held (``flock`` / ``msvcrt.locking``) for the whole run, so two
  runs at once cannot both send. A second run waits for the first (up to ``lock_timeout``
  seconds), then reads the record and sends only what is still missing — usually nothing.

and, only after the record could not be written following a send, ``.orderdesk-sent.journal``
(``SentLog.journal``; moved into the record by the next run). ``Deliveries`` is the
send-and-record loop; the weekly notices and the escalation digest use it, the record and the
journal too (``addin.jobs.weekly``, ``addin.jobs.escalation``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from email.message import EmailMessage
from typing import Callable, Protocol

from addin.config import Config, MailConfig
from addin.errors import ConfigError, FileError, InputError
from addin.files.limits import FIRST_DATE
from addin.mail import DeliveryResult, MonthFigures, build_message, figures_key, send_message

SENT_DB = ".orderdesk-sent.sqlite"
SENT_JOURNAL = ".orderdesk-sent.journal"   # sends the record could not take; moved into it by the next run
JOURNAL_LOCK = ".orderdesk-sent.journal.lock"   # held while the journal is appended to or moved into the record
LOCK_FILE = ".orderdesk-monthly.lock"
RECORD_TIMEOUT = 30.0   # seconds a write of the record waits for another program holding the database


class WorkbookBuilder(Protocol):
    def __call__(self, config: Config, month: dt.date, as_of: dt.date, lang: str, out: Path) -> MonthFigures: ...


@dataclass(frozen=True)
class RecipientOutcome:
    recipient: str      # as configured, e.g. "Li Lei <li@example.com>"
    status: str         # sent | already_sent | failed | not_attempted | would_send | unrecorded (sent, the
                        # record not written: the next run sends it again with the same Message-ID)
    reply: str = ""
    attempts: int = 0


@dataclass(frozen=True)
class MonthlyOutcome:
    month: str                      # "2026-10"
    workbook: Path | None           # None when nothing had to be sent (the workbook is not rebuilt)
    figures: MonthFigures | None
    recipients: tuple[RecipientOutcome, ...]
    dry_run: bool = False
    subject: str | None = None

    def with_status(self, *statuses: str) -> list[RecipientOutcome]:
        return [r for r in self.recipients if r.status in statuses]

    @property
    def ok(self) -> bool:
        return not self.with_status("failed", "not_attempted", "unrecorded")


def default_month(as_of: dt.date) -> dt.date:
    """The calendar month before the as-of date (its first day)."""
    first = as_of.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def workbook_path(config: Config, month: dt.date) -> Path:
    return config.report.out_dir / f"OTD-{month:%Y-%m}.xlsx"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class SentLog:
    """What was sent, per month and recipient (the envelope address, lower case)."""

    def __init__(self, path: Path):
        self.path = path
        try:
            # autocommit: every state change is on disk before the next network step
            self.db = sqlite3.connect(path, timeout=RECORD_TIMEOUT, isolation_level=None)
            self.db.execute("""CREATE TABLE IF NOT EXISTS deliveries (
                month TEXT NOT NULL, recipient TEXT NOT NULL, state TEXT NOT NULL,
                reply TEXT, message_id TEXT, workbook_sha256 TEXT, attempts INTEGER,
                updated_at TEXT NOT NULL, PRIMARY KEY (month, recipient))""")
        except sqlite3.Error as exc:
            raise FileError(f"{path}: cannot keep the record of sent mail there ({exc}) — nothing was sent;"
                            f" check the folder is writable and that no other program holds that file",
                            file=str(path)) from None

    def close(self) -> None:
        self.db.close()

    def state(self, month: str, recipient: str) -> str | None:
        try:
            row = self.db.execute("SELECT state FROM deliveries WHERE month = ? AND recipient = ?",
                                  (month, recipient.lower())).fetchone()
        except sqlite3.Error as exc:   # locked by another program past the timeout, an I/O error
            raise FileError(f"{self.path}: cannot read the record of sent mail ({exc}) — nothing was sent;"
                            f" run again when no other program holds that file", file=str(self.path)) from None
        return row[0] if row else None

    def message_id(self, month: str, recipient: str) -> str | None:
        """The Message-ID written before the last send to ``recipient`` (a row left at ``sending``)."""
        row = self.db.execute("SELECT message_id FROM deliveries WHERE month = ? AND recipient = ?",
                              (month, recipient.lower())).fetchone()
        return row[0] if row else None

    def rows(self, month: str) -> dict[str, tuple[str, str | None]]:
        return {r: (s, reply) for r, s, reply in self.db.execute(
            "SELECT recipient, state, reply FROM deliveries WHERE month = ? ORDER BY recipient", (month,))}

    def _write(self, month: str, recipient: str, state: str, **values: object) -> None:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.db.execute(
            """INSERT INTO deliveries (month, recipient, state, reply, message_id, workbook_sha256, attempts, updated_at)
               VALUES (:month, :recipient, :state, :reply, :message_id, :workbook_sha256, :attempts, :now)
               ON CONFLICT (month, recipient) DO UPDATE SET state = excluded.state, reply = excluded.reply,
                 message_id = coalesce(excluded.message_id, message_id),
                 workbook_sha256 = coalesce(excluded.workbook_sha256, workbook_sha256),
                 attempts = excluded.attempts, updated_at = excluded.updated_at""",
            {"month": month, "recipient": recipient.lower(), "state": state, "now": now,
             "reply": values.get("reply"), "message_id": values.get("message_id"),
             "workbook_sha256": values.get("workbook_sha256"), "attempts": values.get("attempts")})

    @property
    def journal_path(self) -> Path:
        return self.path.with_name(SENT_JOURNAL)

    def journal(self, month: str, result: DeliveryResult, message_id: str) -> bool:
        """A send the database would not take, kept in a plain file beside it (appended, synced);
        False when that cannot be written either."""
        line = json.dumps({"month": month, "recipient": result.recipient.lower(), "state": "sent",
                           "reply": result.reply, "attempts": result.attempts, "message_id": message_id})
        try:
            with self._journal_lock(), open(self.journal_path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except (OSError, FileError):
            return False
        return True

    def _journal_lock(self) -> "RunLock":
        # the monthly, weekly and escalation jobs share the journal but not their run locks: a line
        # appended while another job moves the journal into the record would be lost with the file
        return RunLock(self.path.with_name(JOURNAL_LOCK), timeout=RECORD_TIMEOUT, poll=0.05,
                       name="job recording sent mail")

    def replay(self) -> None:
        """Before a run reads the record: the sends a previous run could only journal go into it
        (a line cut short by a crash is skipped: its row still says 'sending')."""
        journal = self.journal_path
        if not journal.exists():    # the usual case: no lock file either
            return
        with self._journal_lock():
            self._replay(journal)

    def _replay(self, journal: Path) -> None:
        try:
            text = journal.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise FileError(f"{journal}: cannot read the journal of sent mail ({exc.strerror or exc}) — nothing"
                            f" was sent; check its permissions", file=str(journal)) from None
        try:
            for line in text.splitlines():
                try:
                    entry = json.loads(line)
                    month, recipient, state = entry["month"], entry["recipient"], entry["state"]
                except (ValueError, KeyError, TypeError):
                    continue
                self._write(month, recipient, state, reply=entry.get("reply"), attempts=entry.get("attempts"),
                            message_id=entry.get("message_id"))
        except sqlite3.Error as exc:
            raise FileError(f"{self.path}: cannot move {journal.name} into the record of sent mail ({exc}) —"
                            f" nothing was sent; run again when no other program holds that file",
                            file=str(self.path)) from None
        try:
            journal.unlink()
        except OSError:
            pass    # replaying again later writes the same rows

    def sending(self, month: str, recipient: str, message_id: str, workbook_sha256: str) -> None:
        self._write(month, recipient, "sending", message_id=message_id, workbook_sha256=workbook_sha256)

    def finished(self, month: str, result: DeliveryResult) -> None:
        self._write(month, result.recipient, "sent" if result.ok else "failed",
                    reply=result.reply, attempts=result.attempts)


def _refuse_overwriting_inputs(config: Config, out: Path) -> None:
    """SPEC 12: the month's workbook may not be one of the job's inputs (a [ledger] path named
    OTD-2026-10.xlsx in [report] out_dir, say) — refused before anything is built or sent."""
    from addin.files.guard import refuse_output_over_inputs
    inputs = [("--config", config.path), ("[ledger] path", config.ledger.path)]
    inputs += [(what, path) for what, path in (("[ledger] map", config.ledger.map), ("[otd] calendar", config.calendar))
               if isinstance(path, Path)]
    refuse_output_over_inputs([("[report] out_dir", out)], inputs)


def _stored_id(log: SentLog, month: str, recipient: str) -> str | None:
    try:
        return log.message_id(month, recipient)
    except sqlite3.Error:
        return None


class Deliveries:
    """The send-and-record loop of the scheduled senders (the monthly workbook, the weekly
    notices, the escalation digest), one message and recipient at a time:

    * ``sending`` and the Message-ID are written before the send; a message whose row cannot be
      written is not sent (it could go twice) and is ``failed``;
    * a row a stopped run left at ``sending`` is sent again with the Message-ID it stored;
    * after the send, ``sent`` or ``failed``; a record write that fails then is tried again in
      ``finish``, after the other recipients, who are still attempted; if it fails again the send
      goes to the journal (``SentLog.journal``, moved into the record by the next run: no second
      copy) and the recipient is ``unrecorded`` (exit 3);
    * after a fatal failure (TLS, login) every later recipient is ``not_attempted``.

    ``outcomes`` maps (key, address) to the ``RecipientOutcome`` of each message handed to ``send``."""

    def __init__(self, log: SentLog, mail: MailConfig | None, *, sleep: Callable[[float], None] = time.sleep,
                 say: Callable[[str], None] | None = None):
        self.log, self.mail, self.sleep = log, mail, sleep
        self.say = say or (lambda _text: None)
        self.stop: str | None = None      # why the later recipients are not attempted
        self.outcomes: dict[tuple[str, str], RecipientOutcome] = {}
        self._late: list[tuple[str, str, DeliveryResult, str]] = []   # sent, not recorded yet

    def send(self, key: str, entry: str, message: EmailMessage, workbook_sha256: str, *,
             state: str | None = None) -> RecipientOutcome:
        """Send ``message`` to ``entry`` (as configured) under the record's ``key``; ``state`` is
        what the record said before the run (``sending``: the previous run stopped mid-send)."""
        addr = parseaddr(entry)[1]
        self.outcomes[(key, addr)] = outcome = self._send(key, entry, addr, message, workbook_sha256, state)
        return outcome

    def _send(self, key: str, entry: str, addr: str, message: EmailMessage, sha: str,
              state: str | None) -> RecipientOutcome:
        if self.stop is not None:
            return RecipientOutcome(entry, "not_attempted", self.stop)
        log = self.log
        if state == "sending":
            stored = _stored_id(log, key, addr)
            if stored:   # the ID the stopped run sent with, whatever changed since
                message.replace_header("Message-ID", stored)
            self.say(f"{entry}: the previous run stopped while sending; sending again "
                     f"(same Message-ID, so a duplicate is recognisable)")
        try:
            log.sending(key, addr, str(message["Message-ID"]), sha)
        except sqlite3.Error as exc:   # never send what cannot be recorded: it could go twice
            return RecipientOutcome(entry, "failed", f"not sent: the record of sent mail"
                                    f" ({log.path.name}) cannot be written ({exc})")
        result = send_message(message, self.mail, recipient=addr, sleep=self.sleep)
        try:
            log.finished(key, result)
        except sqlite3.Error:          # sent, not recorded: tried again after the others
            self._late.append((key, entry, result, str(message["Message-ID"])))
        if result.fatal:
            # TLS or login cannot work: every further recipient would fail the same way.
            self.stop = f"not attempted: {result.reply}"
        return RecipientOutcome(entry, "sent" if result.ok else "failed", result.reply, result.attempts)

    def finish(self) -> dict[tuple[str, str], RecipientOutcome]:
        """The record writes that failed after a send, tried again; ``outcomes``."""
        late, self._late = self._late, []
        log = self.log
        for key, entry, result, mid in late:
            try:
                log.finished(key, result)
            except sqlite3.Error as exc:
                if not result.ok:   # not delivered: its row at 'sending' is retried like a failure
                    continue
                if log.journal(key, result, mid):   # the next run moves it into the record: no resend
                    then = f"kept in {log.journal_path.name} instead; the next run records it and does not send it again"
                else:                               # the row stays at 'sending' with its Message-ID
                    then = f"the next run sends it again with the same Message-ID {mid}"
                self.outcomes[(key, result.recipient)] = RecipientOutcome(
                    entry, "unrecorded", f"{result.reply}; but the record ({log.path.name}) could not be"
                    f" written ({exc}): {then}", result.attempts)
        return self.outcomes


class RunLock:
    """An exclusive lock on a file beside the config, held for the whole run."""

    def __init__(self, path: Path, timeout: float = 600.0, poll: float = 0.2, name: str = "'orderdesk monthly' run"):
        self.path, self.timeout, self.poll, self.name = path, timeout, poll, name
        self._fh = None

    def _try_lock(self, fh) -> bool:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt
            try:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                return True
            except OSError:
                return False
        import fcntl
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def __enter__(self) -> "RunLock":
        try:
            fh = open(self.path, "a+b")
        except OSError as exc:
            raise FileError(f"{self.path}: cannot create the lock file ({exc.strerror or exc}) — "
                            f"check the config folder is writable", file=str(self.path)) from None
        deadline = time.monotonic() + self.timeout
        while not self._try_lock(fh):
            if time.monotonic() >= deadline:
                holder = self._holder()
                fh.close()
                raise FileError(f"another {self.name}{holder} is still working with this config "
                                f"(lock {self.path}); waited {self.timeout:g} s and sent nothing — "
                                f"run again when it has finished", file=str(self.path))
            time.sleep(self.poll)
        # Who holds it, for the message a waiting run may show.
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n".encode())
        fh.flush()
        self._fh = fh
        return self

    def _holder(self) -> str:
        try:
            pid = self.path.read_text().strip()
        except OSError:
            return ""
        return f" (process {pid})" if pid.isdigit() else ""

    def __exit__(self, *exc: object) -> None:
        fh, self._fh = self._fh, None
        if fh is None:
            return
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        fh.close()  # closing releases the flock


def build_with_report_writer(config: Config, month: dt.date, as_of: dt.date, lang: str, out: Path) -> MonthFigures:
    """The default builder: the report job (``addin.jobs.report.monthly_report``: the configured
    ledger, a usable row required, the monthly workbook written) with the config's settings;
    returns the figures the message quotes."""
    from addin.jobs.report import monthly_report

    from addin.jobs.deliveries import deliveries_from_config
    deliveries, d_sheet, d_map = deliveries_from_config(config.path) or (None, None, None)   # SPEC 13
    summary = monthly_report(config.ledger.path, config.settings, month=month, as_of=as_of, lang=lang, out=out,
                             sheet=config.ledger.sheet, mapping=config.ledger.map, deliveries=deliveries,
                             deliveries_sheet=d_sheet, deliveries_map=d_map)
    return figures_from_summary(summary)


def figures_from_summary(summary) -> MonthFigures:
    """The message's figures from the writer's ``ReportSummary``."""
    return MonthFigures(month=summary.month, otd=summary.otd, otif=summary.otif, lines=summary.lines,
                        on_time=summary.on_time, late=summary.late, early=summary.early, pending=summary.pending,
                        previous_otd=summary.previous.otd,
                        top_causes=tuple((c.cause, c.count) for c in summary.top_causes[:3]),
                        measured=summary.measured, otd_unknown=summary.otd_unknown,
                        unmeasurable=tuple((k, n) for k, n in summary.unmeasurable.items() if n))


def run_monthly(config: Config, *, as_of: dt.date, month: dt.date | None = None, lang: str | None = None,
                dry_run: bool = False, force: bool = False, build: WorkbookBuilder | None = None,
                sleep: Callable[[float], None] = time.sleep, lock_timeout: float = 600.0,
                echo: Callable[[str], None] | None = None) -> MonthlyOutcome:
    """Build ``OTD-YYYY-MM.xlsx`` for ``month`` (default: the month before ``as_of``) and send it to
    every configured recipient who has not had it yet (all of them with ``force``). Returns what
    happened per recipient; SMTP failures are in the outcome, not raised."""
    if config.mail is None:
        raise ConfigError(f"{config.path.name}: [mail] section is missing — the monthly job needs "
                          f"at least host, sender and to")
    mail = config.mail
    month = (month or default_month(as_of)).replace(day=1)
    first = dt.date(*FIRST_DATE)
    if month < first:       # --as-of 1900-01-15: the month before is outside the dates OrderDesk works with
        raise InputError(f"month {month:%Y-%m} is before {first:%Y-%m}, the first month OrderDesk works with — give"
                         f" --month or an --as-of date from {first.replace(month=2):%Y-%m-%d} on")
    if month > as_of.replace(day=1):
        raise InputError(f"month {month:%Y-%m} is after the as-of date {as_of.isoformat()}: no line of it is due yet "
                         f"— leave --month out for the month before the as-of date")
    key = f"{month:%Y-%m}"
    lang = lang or config.report.lang or "en"
    build = build or build_with_report_writer
    say = echo or (lambda _text: None)
    recipients = [(entry, parseaddr(entry)[1]) for entry in mail.to]

    with RunLock(config.folder / LOCK_FILE, timeout=lock_timeout):
        log = SentLog(config.folder / SENT_DB)
        try:
            log.replay()
            states = {addr: log.state(key, addr) for _, addr in recipients}
            pending = [(entry, addr) for entry, addr in recipients if force or states[addr] != "sent"]
            if not pending and not dry_run:
                # Nothing to send: the workbook on disk stays the one the recipients received.
                return MonthlyOutcome(key, None, None, tuple(RecipientOutcome(entry, "already_sent")
                                                              for entry, _ in recipients))
            out = workbook_path(config, month)
            _refuse_overwriting_inputs(config, out)
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise FileError(f"{out.parent}: cannot create the report folder ({exc.strerror or exc})",
                                file=str(out.parent)) from None
            figures = build(config, month, as_of, lang, out)
            sha = file_sha256(out)
            # the Message-ID from what the message says, not from the workbook's bytes (they change on
            # every rebuild): a rerun after a crash between the 250 and the record sends the same ID
            content = figures_key(figures, lang, mail.subject)
            messages = {addr: build_message(figures=figures, workbook=out, workbook_sha256=sha, sender=mail.sender,
                                            recipient=entry, lang=lang, subject_template=mail.subject,
                                            as_of=as_of.isoformat(), message_key=content) for entry, addr in pending}
            subject = str(next(iter(messages.values()))["Subject"]) if messages else None
            pending_addrs = {addr for _, addr in pending}
            if dry_run:
                return MonthlyOutcome(key, out, figures, tuple(
                    RecipientOutcome(entry, "would_send" if addr in pending_addrs else "already_sent")
                    for entry, addr in recipients), dry_run=True, subject=subject)

            sender = Deliveries(log, mail, sleep=sleep, say=say)
            for entry, addr in pending:
                sender.send(key, entry, messages[addr], sha, state=states[addr])
            results = sender.finish()
            return MonthlyOutcome(key, out, figures, tuple(
                results.get((key, addr), RecipientOutcome(entry, "already_sent")) for entry, addr in recipients),
                subject=subject)
        finally:
            log.close()
