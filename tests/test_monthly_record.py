"""Issue 14, item 4: the monthly job when the record of sent mail fails it. A run killed (SIGKILL)
between the server's 250 and the record write, rerun over a rebuilt workbook (other bytes), sends
the same Message-ID; a record write failing after a send (an I/O error, the database locked past
the timeout) is exit 3 with the later recipients still attempted, never an internal error. A real
SMTP server on loopback, the real sqlite record."""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from addin.cli import main
from addin.config import load_config
from addin.jobs import monthly
from addin.jobs.monthly import SENT_DB, SENT_JOURNAL, run_monthly
from test_mail_support import SIMPLE_FIGURES, start_server, write_config

AS_OF = dt.date(2026, 11, 1)
_STAMPS = itertools.count(1)


def stamped_builder(config, month, as_of, lang, out):
    """The same figures every time, a workbook whose bytes differ on every build (its creation
    time, as a real rebuild's does)."""
    import xlsxwriter
    from addin.mail import MonthFigures
    book = xlsxwriter.Workbook(str(out))
    stamp = (os.getpid() % 100_000) * 1000 + next(_STAMPS)      # other in every build, in any process
    book.set_properties({"created": dt.datetime(2026, 11, 1, 8, 0) + dt.timedelta(seconds=stamp)})
    book.add_worksheet("Summary").write_string(0, 0, f"OTD {month:%Y-%m}")
    book.close()
    return MonthFigures(month=f"{month:%Y-%m}", **SIMPLE_FIGURES)


@pytest.fixture
def server(tmp_path: Path):
    srv = start_server(tmp_path)
    yield srv
    srv.controller.stop()


def rows(folder: Path) -> dict[str, tuple]:
    with sqlite3.connect(folder / SENT_DB) as db:
        return {r: (s, mid, sha) for r, s, mid, sha in db.execute(
            "SELECT recipient, state, message_id, workbook_sha256 FROM deliveries")}


def ids(server, address: str) -> list[str]:
    return [m["Message-ID"] for m in server.handler.to(address)]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


KILLED_RUN = """
import datetime as dt, os, signal, sys
sys.path.insert(0, {tests!r})
from addin.config import load_config
from addin.jobs import monthly
from test_monthly_record import stamped_builder
# killed right after the server's 250, before the record says 'sent'
monthly.SentLog.finished = lambda self, month, result: os.kill(os.getpid(), signal.SIGKILL)
monthly.run_monthly(load_config({config!r}), as_of=dt.date(2026, 11, 1), build=stamped_builder)
"""


def test_rerun_after_a_kill_between_250_and_the_record_sends_the_same_message_id(tmp_path: Path, server):
    config = write_config(tmp_path, server.port)
    script = tmp_path / "killed.py"
    script.write_text(KILLED_RUN.format(tests=str(Path(__file__).parent), config=str(config)), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    [first_id] = ids(server, "manager@example.com")           # it went out ...
    state, stored_id, first_sha = rows(tmp_path)["manager@example.com"]
    assert (state, stored_id) == ("sending", first_id)         # ... and the record never said so
    assert ids(server, "pmc@example.com") == []

    outcome = run_monthly(load_config(config), as_of=AS_OF, build=stamped_builder)
    assert [(r.recipient, r.status) for r in outcome.recipients] == [("manager@example.com", "sent"),
                                                                    ("pmc@example.com", "sent")]
    assert sha(outcome.workbook) != first_sha                  # rebuilt: other bytes
    assert ids(server, "manager@example.com") == [first_id, first_id]   # the copy is recognisable
    assert len(ids(server, "pmc@example.com")) == 1
    assert {r: s for r, (s, _, _) in rows(tmp_path).items()} == {"manager@example.com": "sent",
                                                                 "pmc@example.com": "sent"}


def test_message_id_does_not_depend_on_the_workbook_bytes(tmp_path: Path, server):
    """--force rebuilds the workbook (other bytes) and sends again: the same figures, the same ID;
    other figures (another month), another ID."""
    config = write_config(tmp_path, server.port, to=("manager@example.com",))
    first = run_monthly(load_config(config), as_of=AS_OF, build=stamped_builder)
    first_sha = sha(first.workbook)
    again = run_monthly(load_config(config), as_of=AS_OF, build=stamped_builder, force=True)
    assert sha(again.workbook) != first_sha
    one, two = ids(server, "manager@example.com")
    assert one == two
    run_monthly(load_config(config), as_of=dt.date(2026, 12, 1), build=stamped_builder)
    assert len(set(ids(server, "manager@example.com"))) == 2


def _failing_finish(monkeypatch, fail_for: str, error: str) -> list[str]:
    """SentLog.finished raises sqlite3.OperationalError(error) for ``fail_for`` (every time)."""
    real = monthly.SentLog.finished
    calls = []

    def finished(self, month, result):
        calls.append(result.recipient)
        if result.recipient == fail_for:
            raise sqlite3.OperationalError(error)
        return real(self, month, result)
    monkeypatch.setattr(monthly.SentLog, "finished", finished)
    return calls


def test_record_io_error_after_a_send_is_exit_3_and_the_others_still_go(tmp_path: Path, server, capsys,
                                                                         monkeypatch):
    config = write_config(tmp_path, server.port, to=("manager@example.com", "pmc@example.com", "boss@example.com"))
    monkeypatch.setattr(monthly, "build_with_report_writer", stamped_builder)
    calls = _failing_finish(monkeypatch, "manager@example.com", "disk I/O error")
    status = main(["monthly", "--config", str(config), "--as-of", AS_OF.isoformat()])
    out, err = capsys.readouterr()
    assert status == 3
    [sent_id] = ids(server, "manager@example.com")
    assert err == ("Error: 1 of 3 deliveries of OTD-2026-10.xlsx went out but could not be recorded (first:"
                   " manager@example.com: 250 2.0.0 Ok: queued; but the record (.orderdesk-sent.sqlite) could not be"
                   " written (disk I/O error): kept in .orderdesk-sent.journal instead; the next run records it and"
                   " does not send it again) — check the record of sent mail beside the config\n")
    assert "  UNRECORDED    manager@example.com  250 2.0.0 Ok: queued;" in out
    assert "  sent          pmc@example.com  250 2.0.0 Ok: queued\n" in out
    assert "  sent          boss@example.com  250 2.0.0 Ok: queued\n" in out
    assert calls == ["manager@example.com", "pmc@example.com", "boss@example.com", "manager@example.com"]
    assert len(ids(server, "pmc@example.com")) == 1 and len(ids(server, "boss@example.com")) == 1
    assert rows(tmp_path)["manager@example.com"][:2] == ("sending", sent_id)
    assert (tmp_path / SENT_JOURNAL).is_file()

    monkeypatch.undo()
    monkeypatch.setattr(monthly, "build_with_report_writer", stamped_builder)
    status = main(["monthly", "--config", str(config), "--as-of", AS_OF.isoformat()])
    out, err = capsys.readouterr()
    assert (status, out, err) == (0, "2026-10: every recipient already has the workbook; nothing to send (use --force"
                                     " to resend).\n", "")
    assert ids(server, "manager@example.com") == [sent_id]         # the journal said it went out: no copy
    assert len(ids(server, "pmc@example.com")) == 1 and len(ids(server, "boss@example.com")) == 1
    assert rows(tmp_path)["manager@example.com"][:2] == ("sent", sent_id)
    assert {s for s, _, _ in rows(tmp_path).values()} == {"sent"}
    assert not (tmp_path / SENT_JOURNAL).exists()


def test_record_and_journal_both_failing_resend_the_same_id(tmp_path: Path, server, capsys, monkeypatch):
    config = write_config(tmp_path, server.port)
    monkeypatch.setattr(monthly, "build_with_report_writer", stamped_builder)
    _failing_finish(monkeypatch, "manager@example.com", "disk I/O error")
    monkeypatch.setattr(monthly.SentLog, "journal", lambda self, month, result, message_id: False)
    status = main(["monthly", "--config", str(config), "--as-of", AS_OF.isoformat()])
    _, err = capsys.readouterr()
    [sent_id] = ids(server, "manager@example.com")
    assert status == 3
    assert (f"could not be written (disk I/O error): the next run sends it again with the same Message-ID {sent_id})"
            in err)
    assert rows(tmp_path)["manager@example.com"][:2] == ("sending", sent_id)

    monkeypatch.undo()
    outcome = run_monthly(load_config(config), as_of=AS_OF, build=stamped_builder)
    assert [r.status for r in outcome.recipients] == ["sent", "already_sent"]
    assert ids(server, "manager@example.com") == [sent_id, sent_id]   # a copy, recognisably the same message


def test_record_write_that_succeeds_on_the_second_try_is_not_an_error(tmp_path: Path, server, monkeypatch):
    config = write_config(tmp_path, server.port)
    real = monthly.SentLog.finished
    failures = iter([True])

    def finished(self, month, result):
        if result.recipient == "manager@example.com" and next(failures, False):
            raise sqlite3.OperationalError("database is locked")
        return real(self, month, result)
    monkeypatch.setattr(monthly.SentLog, "finished", finished)
    outcome = run_monthly(load_config(config), as_of=AS_OF, build=stamped_builder)
    assert outcome.ok and [r.status for r in outcome.recipients] == ["sent", "sent"]
    assert {s for s, _, _ in rows(tmp_path).values()} == {"sent"}


def test_database_locked_past_the_timeout(tmp_path: Path, server, capsys, monkeypatch):
    """Another program takes the record after the first 250 and keeps it: the first is sent but
    unrecorded, the second is attempted and not sent (it could not be recorded); exit 3, no
    internal error; once the other program lets go, a rerun records the first from the journal and
    sends only the second."""
    config = write_config(tmp_path, server.port)
    monkeypatch.setattr(monthly, "RECORD_TIMEOUT", 0.2)
    monkeypatch.setattr(monthly, "build_with_report_writer", stamped_builder)
    holder = sqlite3.connect(tmp_path / SENT_DB, isolation_level=None, check_same_thread=False)
    real_send = monthly.send_message

    def send_then_lock(message, mail, **kw):
        result = real_send(message, mail, **kw)
        if not holder.in_transaction:
            holder.execute("BEGIN EXCLUSIVE")
        return result
    monkeypatch.setattr(monthly, "send_message", send_then_lock)
    try:
        status = main(["monthly", "--config", str(config), "--as-of", AS_OF.isoformat()])
        out, err = capsys.readouterr()
    finally:
        holder.rollback()
        holder.close()
    assert status == 3, err
    [sent_id] = ids(server, "manager@example.com")
    assert ids(server, "pmc@example.com") == []
    assert ("  FAILED        pmc@example.com  not sent: the record of sent mail (.orderdesk-sent.sqlite) cannot be"
            " written (database is locked)\n") in out
    assert "  UNRECORDED    manager@example.com  250 2.0.0 Ok: queued; but the record" in out
    assert err.startswith("Error: 1 of 2 deliveries of OTD-2026-10.xlsx failed (first: pmc@example.com: not sent:")
    assert "internal error" not in err

    monkeypatch.setattr(monthly, "send_message", real_send)
    status = main(["monthly", "--config", str(config), "--as-of", AS_OF.isoformat()])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert ids(server, "manager@example.com") == [sent_id]          # recorded from the journal
    assert len(ids(server, "pmc@example.com")) == 1
    assert {s for s, _, _ in rows(tmp_path).values()} == {"sent"}


def test_record_that_cannot_be_read_sends_nothing(tmp_path: Path, server, capsys, monkeypatch):
    config = write_config(tmp_path, server.port)
    monkeypatch.setattr(monthly, "RECORD_TIMEOUT", 0.2)
    monkeypatch.setattr(monthly, "build_with_report_writer", stamped_builder)
    monthly.SentLog(tmp_path / SENT_DB).close()          # the table exists
    holder = sqlite3.connect(tmp_path / SENT_DB, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        status = main(["monthly", "--config", str(config), "--as-of", AS_OF.isoformat()])
        _, err = capsys.readouterr()
    finally:
        holder.rollback()
        holder.close()
    assert (status, err) == (1, f"Error: {tmp_path / SENT_DB}: cannot keep the record of sent mail there (database"
                                f" is locked) — nothing was sent; check the folder is writable and that no other"
                                f" program holds that file\n")
    assert server.handler.messages == []


def test_journal_line_cut_short_by_a_crash_is_skipped(tmp_path: Path):
    log = monthly.SentLog(tmp_path / SENT_DB)
    try:
        log.sending("2026-10", "a@example.com", "<a@x>", "0" * 64)
        log.sending("2026-10", "b@example.com", "<b@x>", "0" * 64)
        assert log.journal("2026-10", monthly.DeliveryResult("A@example.com", True, "250 ok", 1), "<a@x>")
        with open(log.journal_path, "a", encoding="utf-8") as fh:
            fh.write('{"month": "2026-10", "recipient": "b@exa')          # killed mid-line
        log.replay()
        assert (log.state("2026-10", "a@example.com"), log.state("2026-10", "b@example.com")) == ("sent", "sending")
        assert log.message_id("2026-10", "a@example.com") == "<a@x>"
        assert not log.journal_path.exists()
    finally:
        log.close()


def test_a_host_the_resolver_cannot_encode_is_a_failed_delivery_not_a_crash(tmp_path: Path):
    """The configuration refuses such a host; a MailConfig made another way still never raises."""
    from dataclasses import replace
    from email.message import EmailMessage
    from addin.mail import send_message
    mail = replace(load_config(write_config(tmp_path, 2525)).mail, host="a" * 64 + ".localhost")
    message = EmailMessage()
    message["To"], message["From"] = "a@example.com", "r@example.com"
    message.set_content("x")
    result = send_message(message, mail, sleep=lambda _s: None)
    assert (result.ok, result.fatal, result.attempts) == (False, True, 1)
    assert result.reply.startswith(f"cannot reach {'a' * 64}.localhost:2525: ")
