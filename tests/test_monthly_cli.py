"""`orderdesk monthly` end to end: the real monthly-report writer over a sample ledger, a real SMTP
server on loopback, the exit statuses a scheduler sees."""
from __future__ import annotations

import importlib.util
import io
import shutil
from pathlib import Path

import openpyxl
import pytest

from addin.cli import main
from test_mail_support import start_server, write_config

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "workbook_templates" / "sample_ledger_en.xlsx"
AS_OF = "2026-11-20"  # the date the samples describe
needs_writer = pytest.mark.skipif(importlib.util.find_spec("addin.writers.monthly") is None,
                                  reason="addin/writers/monthly.py not written yet")


@pytest.fixture
def server(tmp_path: Path):
    srv = start_server(tmp_path)
    yield srv
    srv.controller.stop()


def orderdesk(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_help_names_the_exit_statuses(capsys) -> None:
    status, out, _ = orderdesk(capsys, "monthly", "--help")
    assert status == 0
    assert "--config" in out and "--dry-run" in out and "--force" in out and "--month" in out and "--as-of" in out
    assert "3 some deliveries failed" in out
    assert "orderdesk monthly --config orderdesk.toml" in out


def test_config_is_required(capsys) -> None:
    status, _, err = orderdesk(capsys, "monthly")
    assert status == 2 and "Missing option '--config'" in err


def test_config_error_is_exit_1(tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path, 25, extra_mail='pasword = "x"')
    status, out, err = orderdesk(capsys, "monthly", "--config", str(config))
    assert (status, out, err) == (1, "", "Error: orderdesk.toml: [mail] unknown key 'pasword'\n")


def test_missing_config_file_is_exit_1(tmp_path: Path, capsys) -> None:
    status, _, err = orderdesk(capsys, "monthly", "--config", str(tmp_path / "nope.toml"))
    assert (status, err) == (1, f"Error: {tmp_path / 'nope.toml'}: no such file — check the name and the folder of"
                                f" the configuration file\n")   # as every input (SPEC 6)


def test_missing_password_is_exit_1_but_dry_run_does_not_need_it(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("ORDERDESK_TEST_SMTP_PASSWORD", raising=False)
    config = write_config(tmp_path, 25, user="reports@example.com")
    status, _, err = orderdesk(capsys, "monthly", "--config", str(config))
    assert (status, err) == (1, "Error: orderdesk.toml: [mail] password_env: the environment variable "
                                "ORDERDESK_TEST_SMTP_PASSWORD is not set (it must hold the password for "
                                "reports@example.com)\n")


def test_month_after_as_of_is_exit_1(tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path, 25)
    status, _, err = orderdesk(capsys, "monthly", "--config", str(config), "--month", "2026-12", "--as-of", AS_OF)
    assert status == 1
    assert err == ("Error: month 2026-12 is after the as-of date 2026-11-20: no line of it is due yet — "
                   "leave --month out for the month before the as-of date\n")


def _ledger_config(tmp_path: Path, port: int, **kw) -> Path:
    ledger = tmp_path / "ledger.xlsx"
    shutil.copyfile(SAMPLE, ledger)
    return write_config(tmp_path, port, ledger=ledger, **kw)


@needs_writer
def test_dry_run_then_send_then_nothing(tmp_path: Path, server, capsys) -> None:
    config = _ledger_config(tmp_path, server.port)
    workbook = tmp_path / "reports" / "OTD-2026-10.xlsx"

    status, out, err = orderdesk(capsys, "monthly", "--config", str(config), "--as-of", AS_OF, "--dry-run")
    assert status == 0, err
    assert out.startswith("Dry run for 2026-10: nothing was sent.\n")
    assert f"Workbook: {workbook}\n" in out
    assert "  would send    manager@example.com\n  would send    pmc@example.com\n" in out
    assert server.handler.messages == [] and workbook.is_file()

    status, out, err = orderdesk(capsys, "monthly", "--config", str(config), "--as-of", AS_OF)
    assert status == 0, err
    assert "  sent          manager@example.com  250 2.0.0 Ok: queued\n" in out
    assert len(server.handler.messages) == 2
    [message] = server.handler.to("manager@example.com")
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "OTD-2026-10.xlsx"
    assert attachment.get_content() == workbook.read_bytes()
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert len(book.sheetnames) > 1

    status, out, err = orderdesk(capsys, "monthly", "--config", str(config), "--as-of", "2026-11-21")
    assert (status, err) == (0, "")
    assert out == "2026-10: every recipient already has the workbook; nothing to send (use --force to resend).\n"
    assert len(server.handler.messages) == 2


@needs_writer
def test_partial_failure_is_exit_3_and_rerun_sends_the_rest(tmp_path: Path, server, capsys) -> None:
    server.handler.plans["pmc@example.com"] = ["552 5.3.4 Message size exceeds fixed limit"]
    config = _ledger_config(tmp_path, server.port)
    status, out, err = orderdesk(capsys, "monthly", "--config", str(config), "--as-of", AS_OF)
    assert status == 3
    assert "  FAILED        pmc@example.com  552 5.3.4 Message size exceeds fixed limit\n" in out
    assert err == ("Error: 1 of 2 deliveries of OTD-2026-10.xlsx failed (first: pmc@example.com: 552 5.3.4 Message "
                   "size exceeds fixed limit) — run the same command again to retry only those\n")
    status, out, err = orderdesk(capsys, "monthly", "--config", str(config), "--as-of", AS_OF, "--quiet")
    assert (status, out, err) == (0, "", "")
    assert len(server.handler.to("manager@example.com")) == 1
    assert len(server.handler.to("pmc@example.com")) == 1


@needs_writer
def test_message_carries_the_report_figures(tmp_path: Path, server) -> None:
    """The real writer over the sample ledger: the figures in the subject and body are the month's
    OTD as the OTD engine computes it, and the attachment is the workbook written."""
    import datetime as dt

    from addin.config import load_config
    from addin.jobs.monthly import run_monthly
    from addin.compute.otd import otd_report
    from addin.readers import read
    from addin.compute.rootcause import cause_label

    config = load_config(_ledger_config(tmp_path, server.port))
    outcome = run_monthly(config, as_of=dt.date(2026, 11, 20))
    assert outcome.ok and outcome.month == "2026-10"

    ledger = read(config.ledger.path, kind="ledger").data
    _, table, _ = otd_report(ledger, dt.date(2026, 11, 20), config.otd,
                             start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    expected = table.iloc[-1]
    figures = outcome.figures
    assert (figures.lines, figures.on_time, figures.late, figures.early, figures.pending) == \
        tuple(int(expected[k]) for k in ("lines", "on_time", "late", "early", "pending"))
    assert figures.lines > 0 and figures.late > 0  # the sample has late October lines to explain
    assert figures.otd == pytest.approx(float(expected["otd"]), abs=1e-4)

    [message] = server.handler.to("manager@example.com")
    assert message["Subject"] == f"OTD 2026-10: {figures.otd * 100:.1f} % on time"
    body = message.get_body(("plain",)).get_content()
    assert (f"Lines due: {figures.lines} (on time {figures.on_time}, late {figures.late}, "
            f"early {figures.early}, pending {figures.pending})") in body
    assert figures.top_causes
    cause, count = figures.top_causes[0]
    assert f"1. {cause_label(cause, 'en')}: {count} lines" in body
    attachment = next(message.iter_attachments())
    assert attachment.get_content() == outcome.workbook.read_bytes()
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert "Summary" in book.sheetnames
