"""The scheduled monthly job: once per month and recipient, partial failures, --force, --dry-run,
the lock between concurrent runs, against a real SMTP server on loopback."""
from __future__ import annotations

import datetime as dt
import io
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pytest

from addin.config import load_config
from addin.errors import FileError, InputError
from addin.jobs.monthly import LOCK_FILE, SENT_DB, RunLock, default_month, run_monthly
from test_mail_support import USER, Handler, simple_builder, start_server, test_ca, write_config  # noqa: F401

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AS_OF = dt.date(2026, 11, 1)


@pytest.fixture
def server(tmp_path: Path):
    srv = start_server(tmp_path)
    yield srv
    srv.controller.stop()


def run(config_path: Path, **kw):
    kw.setdefault("as_of", AS_OF)
    kw.setdefault("build", simple_builder)
    return run_monthly(load_config(config_path), **kw)


def sent_rows(folder: Path) -> list[tuple]:
    with sqlite3.connect(folder / SENT_DB) as db:
        return db.execute("SELECT month, recipient, state, reply FROM deliveries ORDER BY recipient").fetchall()


def test_default_month() -> None:
    assert default_month(dt.date(2026, 11, 1)) == dt.date(2026, 10, 1)
    assert default_month(dt.date(2026, 11, 30)) == dt.date(2026, 10, 1)
    assert default_month(dt.date(2027, 1, 15)) == dt.date(2026, 12, 1)


def test_sends_once_per_recipient(tmp_path: Path, server) -> None:
    config = write_config(tmp_path, server.port)
    outcome = run(config)
    assert outcome.ok and outcome.month == "2026-10"
    assert outcome.workbook == tmp_path / "reports" / "OTD-2026-10.xlsx" and outcome.workbook.is_file()
    assert [(r.recipient, r.status) for r in outcome.recipients] == [("manager@example.com", "sent"),
                                                                    ("pmc@example.com", "sent")]
    assert len(server.handler.messages) == 2
    for address in ("manager@example.com", "pmc@example.com"):
        [message] = server.handler.to(address)
        assert message["To"] == address
        assert message["Subject"] == "OTD 2026-10: 91.7 % on time"
        attachment = next(message.iter_attachments())
        assert attachment.get_content_type() == XLSX and attachment.get_filename() == "OTD-2026-10.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
        assert book["Summary"]["A1"].value == "OTD 2026-10 as of 2026-11-01"
        assert "1. Material: 5 lines" in message.get_body(("plain",)).get_content()
    ids = {m["Message-ID"] for _, _, m in server.handler.messages}
    assert len(ids) == 2
    assert [row[:3] for row in sent_rows(tmp_path)] == [("2026-10", "manager@example.com", "sent"),
                                                      ("2026-10", "pmc@example.com", "sent")]

    # a second run for the same month sends nothing and leaves the workbook alone
    before = outcome.workbook.stat().st_mtime_ns
    again = run(config, as_of=dt.date(2026, 11, 2))
    assert again.ok and again.workbook is None
    assert [r.status for r in again.recipients] == ["already_sent", "already_sent"]
    assert len(server.handler.messages) == 2
    assert outcome.workbook.stat().st_mtime_ns == before

    # --force sends again, with the same Message-ID when the workbook is the same
    forced = run(config, force=True)
    assert [r.status for r in forced.recipients] == ["sent", "sent"]
    assert len(server.handler.messages) == 4
    # another month is another delivery
    november = run(config, as_of=dt.date(2026, 12, 1))
    assert november.month == "2026-11" and [r.status for r in november.recipients] == ["sent", "sent"]
    assert len(server.handler.messages) == 6


def test_partial_failure_then_rerun_reaches_only_the_missing(tmp_path: Path, server) -> None:
    server.handler.plans["pmc@example.com"] = ["552 5.3.4 Message size exceeds fixed limit"]
    config = write_config(tmp_path, server.port, to=("manager@example.com", "PMC Team <pmc@example.com>",
                                                     "boss@example.com"))
    first = run(config)
    assert not first.ok
    assert [(r.recipient, r.status, r.reply, r.attempts) for r in first.recipients] == [
        ("manager@example.com", "sent", "250 2.0.0 Ok: queued", 1),
        ("PMC Team <pmc@example.com>", "failed", "552 5.3.4 Message size exceeds fixed limit", 1),
        ("boss@example.com", "sent", "250 2.0.0 Ok: queued", 1)]
    assert sorted(r for _, rcpts, _ in server.handler.messages for r in rcpts) == ["boss@example.com",
                                                                                  "manager@example.com"]
    assert ("2026-10", "pmc@example.com", "failed", "552 5.3.4 Message size exceeds fixed limit") in sent_rows(tmp_path)

    second = run(config)
    assert second.ok
    assert [r.status for r in second.recipients] == ["already_sent", "sent", "already_sent"]
    assert len(server.handler.to("pmc@example.com")) == 1
    assert len(server.handler.to("manager@example.com")) == 1 and len(server.handler.to("boss@example.com")) == 1


def test_temporary_failure_retried_within_the_run(tmp_path: Path, server) -> None:
    server.handler.plans["manager@example.com"] = ["451 4.3.0 greylisted"]
    outcome = run(write_config(tmp_path, server.port))
    assert outcome.ok
    assert [r.attempts for r in outcome.recipients] == [2, 1]
    assert len(server.handler.to("manager@example.com")) == 1


def test_untrusted_certificate_sends_nothing(tmp_path: Path, test_ca, monkeypatch) -> None:
    import trustme
    srv = start_server(tmp_path, mode="starttls", ca=test_ca)
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("ORDERDESK_TEST_SMTP_PASSWORD", "pw")
    try:
        outcome = run(write_config(tmp_path, srv.port, security="starttls", user=USER, cacert=other))
        assert not outcome.ok
        first, second = outcome.recipients
        assert first.status == "failed" and first.reply.startswith("certificate of 127.0.0.1 not trusted: ")
        assert second.status == "not_attempted" and second.reply == f"not attempted: {first.reply}"
        assert srv.handler.messages == [] and srv.handler.data_commands == []
        # only the attempted one is in the record; both are tried again next time
        assert [row[1:3] for row in sent_rows(tmp_path)] == [("manager@example.com", "failed")]
    finally:
        srv.controller.stop()


def test_starttls_delivery_through_the_job(tmp_path: Path, test_ca, monkeypatch) -> None:
    from test_mail_support import PASSWORD
    srv = start_server(tmp_path, mode="starttls", ca=test_ca)
    monkeypatch.setenv("ORDERDESK_TEST_SMTP_PASSWORD", PASSWORD)
    try:
        outcome = run(write_config(tmp_path, srv.port, security="starttls", user=USER, cacert=srv.ca_file))
        assert outcome.ok and len(srv.handler.messages) == 2
    finally:
        srv.controller.stop()


def test_dry_run_sends_nothing(tmp_path: Path, server) -> None:
    config = write_config(tmp_path, server.port)
    outcome = run(config, dry_run=True)
    assert outcome.dry_run and outcome.workbook.is_file()
    assert outcome.subject == "OTD 2026-10: 91.7 % on time"
    assert [r.status for r in outcome.recipients] == ["would_send", "would_send"]
    assert server.handler.messages == [] and sent_rows(tmp_path) == []


def test_month_after_as_of_rejected(tmp_path: Path, server) -> None:
    with pytest.raises(InputError) as info:
        run(write_config(tmp_path, server.port), month=dt.date(2026, 12, 1))
    assert str(info.value) == ("month 2026-12 is after the as-of date 2026-11-01: no line of it is due yet — "
                               "leave --month out for the month before the as-of date")


def test_lock_times_out_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / LOCK_FILE
    with RunLock(path):
        # flock locks belong to the open file: a second open in the same process contends like another run
        with pytest.raises(FileError) as info:
            with RunLock(path, timeout=0.3, poll=0.05):
                pass
    import os
    assert str(info.value) == (f"another 'orderdesk monthly' run (process {os.getpid()}) is still working with this "
                               f"config (lock {path}); waited 0.3 s and sent nothing — run again when it has finished")
    with RunLock(path, timeout=0.3):  # released
        pass


RUNNER = """
import sys
sys.path.insert(0, {tests!r})
import datetime as dt
from addin.config import load_config
from addin.jobs.monthly import run_monthly
from test_mail_support import simple_builder
outcome = run_monthly(load_config({config!r}), as_of=dt.date(2026, 11, 1), build=simple_builder)
print(" ".join(r.status for r in outcome.recipients))
"""


def test_two_concurrent_runs_send_once(tmp_path: Path, server) -> None:
    server.handler.delay = 0.5  # keeps the first run inside its lock while the second starts
    config = write_config(tmp_path, server.port)
    script = tmp_path / "runner.py"
    script.write_text(RUNNER.format(tests=str(Path(__file__).parent), config=str(config)), encoding="utf-8")
    runs = [subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outputs
    assert sorted(out.strip() for out, _ in outputs) == ["already_sent already_sent", "sent sent"]
    assert sorted(r for _, rcpts, _ in server.handler.messages for r in rcpts) == ["manager@example.com",
                                                                                  "pmc@example.com"]
    assert len(server.handler.data_commands) == 2
