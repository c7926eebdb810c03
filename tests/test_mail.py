"""The message (subject, body, attachment, Message-ID) and its delivery to a real SMTP server on
loopback: STARTTLS and SSL with a test CA, refusals, retries."""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
import trustme

from addin.config import load_config
from addin.mail import MonthFigures, build_message, message_id, send_message, subject_for
from test_mail_support import PASSWORD, USER, make_workbook, start_server, test_ca, write_config  # noqa: F401

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIGURES = MonthFigures(month="2026-10", otd=0.9167, otif=0.9, lines=124, on_time=110, late=9, early=1, pending=4,
                       previous_otd=0.88, top_causes=(("material", 5), ("capacity", 3), ("quality", 1)))
SHA = "0" * 64


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return make_workbook(tmp_path / "OTD-2026-10.xlsx", "OTD 2026-10")


@pytest.fixture
def server(tmp_path: Path):
    srv = start_server(tmp_path)
    yield srv
    srv.controller.stop()


def message(workbook: Path, recipient: str = "manager@example.com", lang: str = "en", **kw):
    return build_message(figures=FIGURES, workbook=workbook, workbook_sha256=SHA, sender="OrderDesk <reports@example.com>",
                         recipient=recipient, lang=lang, as_of="2026-11-01", **kw)


def test_subjects() -> None:
    assert subject_for(FIGURES, "en") == "OTD 2026-10: 91.7 % on time"
    assert subject_for(FIGURES, "zh") == "2026年10月准时交付率 91.7%"
    assert subject_for(MonthFigures(month="2026-10", otd=None), "en") == "OTD 2026-10: no lines due"
    assert subject_for(FIGURES, "en", "Plant 2 — OTD {month}: {otd}") == "Plant 2 — OTD 2026-10: 91.7 %"


def test_message_id_is_deterministic() -> None:
    one = message_id("2026-10", "Manager@Example.com", SHA, "example.com")
    assert one == message_id("2026-10", "manager@example.com", SHA, "EXAMPLE.COM")
    assert one.startswith("<") and one.endswith(".orderdesk@example.com>")
    assert one != message_id("2026-11", "manager@example.com", SHA, "example.com")
    assert one != message_id("2026-10", "pmc@example.com", SHA, "example.com")
    assert one != message_id("2026-10", "manager@example.com", "1" * 64, "example.com")


def test_message_parts(workbook: Path) -> None:
    msg = message(workbook, recipient="Li Lei <li@example.com>")
    assert msg["To"] == "Li Lei <li@example.com>"
    assert msg["Subject"] == "OTD 2026-10: 91.7 % on time"
    assert msg["Message-ID"] == message_id("2026-10", "li@example.com", SHA, "example.com")
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/mixed"
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for text in (plain, html):
        assert "91.7 %" in text and "88.0 %" in text and "OTIF: 90.0 %" in text
        assert "Material" in text and "Capacity" in text and "Quality" in text
    assert "Lines due: 124 (on time 110, late 9, early 1, pending 4)" in plain
    assert "1. Material: 5 lines" in plain
    assert "<li>Material: 5 lines</li>" in html
    attachments = list(msg.iter_attachments())
    assert [a.get_content_type() for a in attachments] == [XLSX]
    assert attachments[0].get_filename() == "OTD-2026-10.xlsx"
    assert attachments[0].get_content() == workbook.read_bytes()
    assert msg.as_bytes().isascii()  # 7-bit: no server needs 8BITMIME


def test_message_in_chinese(workbook: Path) -> None:
    msg = message(workbook, lang="zh")
    assert msg["Subject"] == "2026年10月准时交付率 91.7%"
    plain = msg.get_body(("plain",)).get_content()
    assert "准时交付率（OTD）：91.7%（上月 88.0%）" in plain
    assert "1. 物料：5 行" in plain
    assert msg.as_bytes().isascii()


def test_html_escapes_values(workbook: Path) -> None:
    figures = MonthFigures(month="2026-10", otd=0.5, top_causes=(("<script>", 1),))
    msg = build_message(figures=figures, workbook=workbook, workbook_sha256=SHA, sender="reports@example.com",
                        recipient="a@example.com")
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def config_for(tmp_path: Path, port: int, monkeypatch, **kw):
    monkeypatch.setenv("ORDERDESK_TEST_SMTP_PASSWORD", PASSWORD)
    return load_config(write_config(tmp_path, port, **kw))


def test_plain_delivery_on_loopback(tmp_path: Path, workbook: Path, server, monkeypatch) -> None:
    config = config_for(tmp_path, server.port, monkeypatch)
    result = send_message(message(workbook), config.mail)
    assert result.ok and result.attempts == 1 and result.reply.startswith("250 ")
    [(mail_from, rcpts, received)] = server.handler.messages
    assert mail_from == "reports@example.com" and rcpts == ["manager@example.com"]
    attachment = next(received.iter_attachments())
    assert attachment.get_content_type() == XLSX
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert book["Summary"]["A1"].value == "OTD 2026-10"


def test_starttls_with_test_ca(tmp_path: Path, workbook: Path, test_ca, monkeypatch) -> None:
    srv = start_server(tmp_path, mode="starttls", ca=test_ca)
    try:
        config = config_for(tmp_path, srv.port, monkeypatch, security="starttls", user=USER, cacert=srv.ca_file)
        result = send_message(message(workbook), config.mail)
        assert result.ok, result.reply
        assert len(srv.handler.messages) == 1
    finally:
        srv.controller.stop()


def test_ssl_with_test_ca(tmp_path: Path, workbook: Path, test_ca, monkeypatch) -> None:
    srv = start_server(tmp_path, mode="ssl", ca=test_ca)
    try:
        config = config_for(tmp_path, srv.port, monkeypatch, security="ssl", user=USER, cacert=srv.ca_file)
        result = send_message(message(workbook), config.mail)
        assert result.ok, result.reply
        assert len(srv.handler.messages) == 1
    finally:
        srv.controller.stop()


def test_wrong_password_is_fatal(tmp_path: Path, workbook: Path, test_ca, monkeypatch) -> None:
    srv = start_server(tmp_path, mode="starttls", ca=test_ca)
    try:
        config = config_for(tmp_path, srv.port, monkeypatch, security="starttls", user=USER, cacert=srv.ca_file)
        monkeypatch.setenv("ORDERDESK_TEST_SMTP_PASSWORD", "wrong")
        config = load_config(config.path)
        result = send_message(message(workbook), config.mail)
        assert not result.ok and result.fatal and result.attempts == 1
        assert result.reply.startswith("login as reports@example.com refused: 535 ")
        assert srv.handler.messages == []
    finally:
        srv.controller.stop()


def test_untrusted_certificate_refused(tmp_path: Path, workbook: Path, test_ca, monkeypatch) -> None:
    srv = start_server(tmp_path, mode="starttls", ca=test_ca)
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    try:
        config = config_for(tmp_path, srv.port, monkeypatch, security="starttls", user=USER, cacert=other)
        result = send_message(message(workbook), config.mail)
        assert not result.ok and result.fatal and result.attempts == 1
        assert result.reply.startswith("certificate of 127.0.0.1 not trusted: ")
        assert srv.handler.messages == [] and srv.handler.data_commands == []
    finally:
        srv.controller.stop()


def test_untrusted_certificate_refused_with_ssl(tmp_path: Path, workbook: Path, test_ca, monkeypatch) -> None:
    srv = start_server(tmp_path, mode="ssl", ca=test_ca)
    try:  # no cacert: the system store does not know the test CA
        config = config_for(tmp_path, srv.port, monkeypatch, security="ssl", user=USER)
        result = send_message(message(workbook), config.mail)
        assert not result.ok and result.fatal
        assert result.reply.startswith("certificate of 127.0.0.1 not trusted: ")
        assert srv.handler.messages == []
    finally:
        srv.controller.stop()


def test_server_without_starttls_refused(tmp_path: Path, workbook: Path, monkeypatch) -> None:
    srv = start_server(tmp_path, mode="notls")
    try:
        config = config_for(tmp_path, srv.port, monkeypatch, security="starttls", user=USER)
        result = send_message(message(workbook), config.mail)
        assert not result.ok and result.fatal and result.attempts == 1
        assert result.reply == (f"127.0.0.1:{srv.port} does not offer STARTTLS; refusing to send in plain text "
                                f"(use security = \"ssl\" if the server expects TLS from the start)")
        assert srv.handler.messages == [] and srv.handler.data_commands == []
    finally:
        srv.controller.stop()


def test_451_then_250_sends_once(tmp_path: Path, workbook: Path, server, monkeypatch) -> None:
    server.handler.plans["manager@example.com"] = ["451 4.3.0 try again later"]
    config = config_for(tmp_path, server.port, monkeypatch)
    delays: list[float] = []
    result = send_message(message(workbook), config.mail, sleep=delays.append)
    assert result.ok and result.attempts == 2
    assert delays == [0.01]
    assert server.handler.data_commands == ["manager@example.com"] * 2
    assert len(server.handler.messages) == 1


def test_backoff_doubles_and_gives_up(tmp_path: Path, workbook: Path, server, monkeypatch) -> None:
    server.handler.plans["manager@example.com"] = ["451 4.3.0 busy"] * 10
    config = config_for(tmp_path, server.port, monkeypatch)
    delays: list[float] = []
    result = send_message(message(workbook), config.mail, sleep=delays.append)
    assert not result.ok and not result.fatal and result.attempts == 4
    assert delays == [0.01, 0.02, 0.04]
    assert result.reply == "451 4.3.0 busy"
    assert server.handler.messages == []


def test_552_not_retried(tmp_path: Path, workbook: Path, server, monkeypatch) -> None:
    server.handler.plans["manager@example.com"] = ["552 5.3.4 Message size exceeds fixed limit"]
    config = config_for(tmp_path, server.port, monkeypatch)
    delays: list[float] = []
    result = send_message(message(workbook), config.mail, sleep=delays.append)
    assert not result.ok and not result.fatal and result.attempts == 1 and delays == []
    assert result.reply == "552 5.3.4 Message size exceeds fixed limit"
    assert server.handler.data_commands == ["manager@example.com"]


def test_lost_connection_retried(tmp_path: Path, workbook: Path, server, monkeypatch) -> None:
    server.handler.plans["manager@example.com"] = ["drop"]
    config = config_for(tmp_path, server.port, monkeypatch)
    result = send_message(message(workbook), config.mail, sleep=lambda _s: None)
    assert result.ok and result.attempts == 2
    assert len(server.handler.messages) == 1


def test_connection_refused_retried_then_reported(tmp_path: Path, workbook: Path, monkeypatch) -> None:
    srv = start_server(tmp_path)
    port = srv.port
    srv.controller.stop()  # nothing listens on the port any more
    config = config_for(tmp_path, port, monkeypatch)
    delays: list[float] = []
    result = send_message(message(workbook), config.mail, sleep=delays.append)
    assert not result.ok and result.attempts == 4 and len(delays) == 3
    assert result.reply.startswith(f"cannot reach 127.0.0.1:{port}: ")
