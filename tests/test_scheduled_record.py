"""Issue 14, item 4, for the weekly customer notices and the escalation digest (the monthly job:
tests/test_monthly_record.py). A run killed (SIGKILL) between the server's 250 and the record
write, rerun over a rebuilt workbook (other bytes) or a changed digest, sends the same Message-ID;
a record write failing after a send (an I/O error) is exit 3 with the later recipients still
attempted, kept in the journal, and the rerun sends nothing twice. A real SMTP server on loopback,
the real sqlite record, the real notice workbooks."""
from __future__ import annotations

import datetime as dt
import hashlib
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter

import test_escalation
from addin.cli import main
from addin.config import load_config
from addin.jobs import monthly
from addin.jobs.escalation import run_escalation
from addin.jobs.monthly import SENT_DB, SENT_JOURNAL
from addin.jobs.weekly import run_weekly
from test_mail_support import start_server, write_config
from test_monthly_record import _failing_finish
from test_notice import NOTICE_TOML, ROWS as NOTICE_ROWS, write_ledger as write_notice_ledger

MONDAY = dt.date(2026, 11, 23)
NORDIC = "notice 2026-W48 Nordic Audio"
DIGEST_DAY = dt.date(2026, 11, 23)
DIGEST = "escalation 2026-11-23"
ESC_SECTION = '[escalation]\nto = ["Head <head@example.com>", "coo@example.com", "ceo@example.com"]\nlang = "en"\n'


@pytest.fixture
def server(tmp_path: Path):
    srv = start_server(tmp_path)
    yield srv
    srv.controller.stop()


def rows(folder: Path, key: str) -> dict[str, tuple]:
    with sqlite3.connect(folder / SENT_DB) as db:
        return {r: (s, mid, sha) for r, s, mid, sha in db.execute(
            "SELECT recipient, state, message_id, workbook_sha256 FROM deliveries WHERE month = ?", (key,))}


def ids(server, address: str) -> list[str]:
    return [m["Message-ID"] for m in server.handler.to(address)]


_REAL_CLOSE = xlsxwriter.Workbook.close


def stamp_workbooks(monkeypatch, created: dt.datetime) -> None:
    """Every workbook written gets this creation time (a real rebuild's differs from the last)."""
    def close(self):
        self.set_properties({**self.doc_properties, "created": created})
        return _REAL_CLOSE(self)
    monkeypatch.setattr(xlsxwriter.Workbook, "close", close)


KILLED_RUN = """
import datetime as dt, os, signal, sys
sys.path.insert(0, {tests!r})
import xlsxwriter
from addin.config import load_config
from addin.jobs import monthly
from addin.jobs.{module} import {function}
real_close = xlsxwriter.Workbook.close
def close(self):
    self.set_properties({{**self.doc_properties, "created": dt.datetime(2026, 11, 23, 7, 0)}})
    return real_close(self)
xlsxwriter.Workbook.close = close
# killed right after the server's 250, before the record says 'sent'
monthly.SentLog.finished = lambda self, key, result: os.kill(os.getpid(), signal.SIGKILL)
{function}(load_config({config!r}), as_of=dt.date(2026, 11, 23), sleep=lambda _s: None)
"""


def killed_run(tmp_path: Path, config: Path, module: str, function: str) -> None:
    script = tmp_path / "killed.py"
    script.write_text(KILLED_RUN.format(tests=str(Path(__file__).parent), config=str(config), module=module,
                                        function=function), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


# ---------------------------------------------------------------------------------------- weekly notices

def weekly_config(tmp_path: Path, port: int) -> Path:
    ledger = write_notice_ledger(tmp_path / "ledger.xlsx", NOTICE_ROWS)
    config = write_config(tmp_path, port, ledger=ledger, to=("manager@example.com",))
    config.write_text(config.read_text(encoding="utf-8") + NOTICE_TOML, encoding="utf-8")
    return config


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_weekly_rerun_after_a_kill_between_250_and_the_record_sends_the_same_message_id(tmp_path: Path, server,
                                                                                       monkeypatch):
    config = weekly_config(tmp_path, server.port)
    killed_run(tmp_path, config, "weekly", "run_weekly")
    [first_id] = ids(server, "buyer@nordic.example")            # it went out ...
    state, stored_id, first_sha = rows(tmp_path, NORDIC)["buyer@nordic.example"]
    assert (state, stored_id) == ("sending", first_id)            # ... and the record never said so
    assert ids(server, "b1@beta.example") == []

    stamp_workbooks(monkeypatch, dt.datetime(2026, 11, 23, 9, 0))
    outcome = run_weekly(load_config(config), as_of=MONDAY, sleep=lambda _s: None)
    assert [(d.recipient, d.status) for d in outcome.deliveries] == [
        ("Buyer <buyer@nordic.example>", "sent"), ("b1@beta.example", "sent"), ("b2@beta.example", "sent")]
    assert sha(outcome.deliveries[0].workbook) != first_sha       # rebuilt: other bytes
    assert ids(server, "buyer@nordic.example") == [first_id, first_id]   # the copy is recognisable
    assert len(ids(server, "b1@beta.example")) == 1 and len(ids(server, "b2@beta.example")) == 1
    assert {s for s, _, _ in rows(tmp_path, NORDIC).values()} == {"sent"}


def test_weekly_message_id_does_not_depend_on_the_workbook_bytes(tmp_path: Path, server, monkeypatch):
    """--force rebuilds the notices (other bytes) and sends again: the same notice, the same ID."""
    config = weekly_config(tmp_path, server.port)
    stamp_workbooks(monkeypatch, dt.datetime(2026, 11, 23, 7, 0))
    first = run_weekly(load_config(config), as_of=MONDAY, sleep=lambda _s: None)
    first_sha = sha(first.deliveries[0].workbook)
    stamp_workbooks(monkeypatch, dt.datetime(2026, 11, 23, 9, 0))
    again = run_weekly(load_config(config), as_of=MONDAY, sleep=lambda _s: None, force=True)
    assert sha(again.deliveries[0].workbook) != first_sha
    one, two = ids(server, "buyer@nordic.example")
    assert one == two
    assert len(set(ids(server, "b1@beta.example") + ids(server, "buyer@nordic.example"))) == 2   # per recipient
    run_weekly(load_config(config), as_of=dt.date(2026, 11, 30), sleep=lambda _s: None)   # next week: another ID
    assert len(set(ids(server, "buyer@nordic.example"))) == 2


def test_weekly_record_io_error_after_a_send_is_exit_3_and_the_others_still_go(tmp_path: Path, server, capsys,
                                                                                monkeypatch):
    config = weekly_config(tmp_path, server.port)
    calls = _failing_finish(monkeypatch, "buyer@nordic.example", "disk I/O error")
    status = main(["weekly", "--config", str(config), "--as-of", MONDAY.isoformat()])
    out, err = capsys.readouterr()
    assert status == 3, err
    [sent_id] = ids(server, "buyer@nordic.example")
    assert err == ("Error: 1 of 3 notices of 2026-W48 went out but could not be recorded (first: Nordic Audio, Buyer"
                   " <buyer@nordic.example>: 250 2.0.0 Ok: queued; but the record (.orderdesk-sent.sqlite) could not"
                   " be written (disk I/O error): kept in .orderdesk-sent.journal instead; the next run records it"
                   " and does not send it again) — check the record of sent mail beside the config\n")
    assert "  unrecorded    Nordic Audio: Buyer <buyer@nordic.example>  250 2.0.0 Ok: queued; but the record" in out
    assert "  sent          Beta Robotics: b1@beta.example  250 2.0.0 Ok: queued\n" in out
    assert "  sent          Beta Robotics: b2@beta.example  250 2.0.0 Ok: queued\n" in out
    # the later recipients were attempted, the failed write tried again after them
    assert calls == ["buyer@nordic.example", "b1@beta.example", "b2@beta.example", "buyer@nordic.example"]
    assert rows(tmp_path, NORDIC)["buyer@nordic.example"][:2] == ("sending", sent_id)
    assert (tmp_path / SENT_JOURNAL).is_file()

    monkeypatch.undo()
    status = main(["weekly", "--config", str(config), "--as-of", MONDAY.isoformat()])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out.endswith("2026-W48: every notice was already sent\n")
    assert ids(server, "buyer@nordic.example") == [sent_id]        # the journal said it went out: no copy
    assert len(ids(server, "b1@beta.example")) == 1 and len(ids(server, "b2@beta.example")) == 1
    assert rows(tmp_path, NORDIC)["buyer@nordic.example"][:2] == ("sent", sent_id)
    assert not (tmp_path / SENT_JOURNAL).exists()


def test_weekly_record_and_journal_both_failing_resend_the_same_id(tmp_path: Path, server, monkeypatch):
    config = weekly_config(tmp_path, server.port)
    stamp_workbooks(monkeypatch, dt.datetime(2026, 11, 23, 7, 0))
    _failing_finish(monkeypatch, "b2@beta.example", "disk I/O error")
    monkeypatch.setattr(monthly.SentLog, "journal", lambda self, key, result, message_id: False)
    outcome = run_weekly(load_config(config), as_of=MONDAY, sleep=lambda _s: None)
    assert [d.status for d in outcome.deliveries] == ["sent", "sent", "unrecorded"] and not outcome.ok
    [sent_id] = ids(server, "b2@beta.example")
    assert outcome.deliveries[2].reply.endswith(f"the next run sends it again with the same Message-ID {sent_id}")

    monkeypatch.undo()
    stamp_workbooks(monkeypatch, dt.datetime(2026, 11, 23, 9, 0))
    again = run_weekly(load_config(config), as_of=MONDAY, sleep=lambda _s: None)
    assert [d.status for d in again.deliveries] == ["already_sent", "already_sent", "sent"]
    assert ids(server, "b2@beta.example") == [sent_id, sent_id]    # a copy, recognisably the same message


# ---------------------------------------------------------------------------------------- escalation digest

def escalation_config(tmp_path: Path, port: int) -> Path:
    ledger = test_escalation.write_ledger(tmp_path / "ledger.xlsx")
    config = write_config(tmp_path, port, ledger=ledger, to=("manager@example.com",))
    config.write_text(config.read_text(encoding="utf-8") + ESC_SECTION, encoding="utf-8")
    return config


def test_escalation_rerun_after_a_kill_between_250_and_the_record_sends_the_same_message_id(
        tmp_path: Path, server, monkeypatch):
    """The ledger changes before the rerun (an action rewritten): the digest says something else,
    but the copy for the recipient the killed run had reached keeps the Message-ID it went out with."""
    config = escalation_config(tmp_path, server.port)
    killed_run(tmp_path, config, "escalation", "run_escalation")
    [first_id] = ids(server, "head@example.com")
    assert rows(tmp_path, DIGEST)["head@example.com"][:2] == ("sending", first_id)
    assert ids(server, "coo@example.com") == []

    changed = [list(r) for r in test_escalation.ROWS]
    changed[0][11] = "换供应商 Beta Semi"
    monkeypatch.setattr(test_escalation, "ROWS", changed)
    test_escalation.write_ledger(tmp_path / "ledger.xlsx")
    outcome = run_escalation(load_config(config), as_of=DIGEST_DAY, sleep=lambda _s: None)
    assert [(d.recipient, d.status) for d in outcome.deliveries] == [
        ("Head <head@example.com>", "sent"), ("coo@example.com", "sent"), ("ceo@example.com", "sent")]
    first, again = server.handler.to("head@example.com")
    assert "换供应商 Beta Semi" in again.get_body(("plain",)).get_content()   # the new digest ...
    assert again["Message-ID"] == first["Message-ID"] == first_id          # ... with the ID it went out with
    assert len(ids(server, "coo@example.com")) == 1
    assert {s for s, _, _ in rows(tmp_path, DIGEST).values()} == {"sent"}


def test_escalation_record_io_error_after_a_send_is_exit_3_and_the_others_still_go(tmp_path: Path, server,
                                                                                    capsys, monkeypatch):
    config = escalation_config(tmp_path, server.port)
    calls = _failing_finish(monkeypatch, "coo@example.com", "disk I/O error")
    status = main(["escalate", "--send", "--config", str(config), "--as-of", DIGEST_DAY.isoformat()])
    out, err = capsys.readouterr()
    assert status == 3, err
    [sent_id] = ids(server, "coo@example.com")
    assert err == ("Error: 1 of 3 escalation digests of 2026-11-23 went out but could not be recorded (first:"
                   " coo@example.com: 250 2.0.0 Ok: queued; but the record (.orderdesk-sent.sqlite) could not be"
                   " written (disk I/O error): kept in .orderdesk-sent.journal instead; the next run records it and"
                   " does not send it again) — check the record of sent mail beside the config\n")
    assert out.splitlines() == [
        "  sent          Head <head@example.com>",
        "  unrecorded    coo@example.com  250 2.0.0 Ok: queued; but the record (.orderdesk-sent.sqlite) could not be"
        " written (disk I/O error): kept in .orderdesk-sent.journal instead; the next run records it and does not"
        " send it again",
        "  sent          ceo@example.com"]
    assert calls == ["head@example.com", "coo@example.com", "ceo@example.com", "coo@example.com"]
    assert rows(tmp_path, DIGEST)["coo@example.com"][:2] == ("sending", sent_id)
    assert (tmp_path / SENT_JOURNAL).is_file()

    monkeypatch.undo()
    status = main(["escalate", "--send", "--config", str(config), "--as-of", DIGEST_DAY.isoformat()])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out.endswith("2026-11-23: today's digest was already sent to everyone\n")
    assert ids(server, "coo@example.com") == [sent_id]               # the journal said it went out: no copy
    assert len(ids(server, "head@example.com")) == 1 and len(ids(server, "ceo@example.com")) == 1
    assert {s for s, _, _ in rows(tmp_path, DIGEST).values()} == {"sent"}
    assert not (tmp_path / SENT_JOURNAL).exists()


def test_escalation_in_chinese_names_the_unrecorded_digest(tmp_path: Path, server, capsys, monkeypatch):
    config = escalation_config(tmp_path, server.port)
    config.write_text(config.read_text(encoding="utf-8").replace('lang = "en"', 'lang = "zh"'), encoding="utf-8")
    _failing_finish(monkeypatch, "head@example.com", "disk I/O error")
    monkeypatch.setattr(monthly.SentLog, "journal", lambda self, key, result, message_id: False)
    status = main(["escalate", "--send", "--config", str(config), "--as-of", DIGEST_DAY.isoformat()])
    _, err = capsys.readouterr()
    [sent_id] = ids(server, "head@example.com")
    assert status == 3
    assert err == ("Error: 2026-11-23 的升级通报有 1/3 份已发出但未能写入发送记录（首个：Head <head@example.com>：250 2.0.0"
                   " Ok: queued; but the record (.orderdesk-sent.sqlite) could not be written (disk I/O error): the"
                   f" next run sends it again with the same Message-ID {sent_id}）— 请检查配置文件旁的发送记录文件\n")


def test_journal_is_written_and_replayed_only_under_its_lock(tmp_path: Path, monkeypatch):
    """The three jobs share the journal under three run locks: a send journalled while another job
    moves the journal into the record would go with the removed file. Both take the journal's lock."""
    from addin.errors import FileError
    from addin.jobs.monthly import JOURNAL_LOCK, RunLock
    monkeypatch.setattr(monthly, "RECORD_TIMEOUT", 0.2)
    log = monthly.SentLog(tmp_path / SENT_DB)
    try:
        log.sending(NORDIC, "buyer@nordic.example", "<n@x>", "0" * 64)
        sent = monthly.DeliveryResult("buyer@nordic.example", True, "250 ok", 1)
        with RunLock(tmp_path / JOURNAL_LOCK, name="replaying job"):      # another job is replaying
            assert log.journal(NORDIC, sent, "<n@x>") is False            # not written beside it
            assert not (tmp_path / SENT_JOURNAL).exists()
        assert log.journal(NORDIC, sent, "<n@x>") is True
        with RunLock(tmp_path / JOURNAL_LOCK, name="journalling job"):
            with pytest.raises(FileError, match=r"another job recording sent mail \(process \d+\) .* waited 0.2 s"
                                                r" and sent nothing"):
                log.replay()
        assert log.state(NORDIC, "buyer@nordic.example") == "sending"
        log.replay()
        assert log.state(NORDIC, "buyer@nordic.example") == "sent" and not (tmp_path / SENT_JOURNAL).exists()
    finally:
        log.close()
