"""E-mail front end of the monthly job: build the message, deliver it over SMTP.

Security rules (SPEC section 8): certificates are always verified (``ssl.create_default_context``
plus the configured ``cacert``); ``starttls`` that the server does not offer is an error, never a
fall-back to plain text. Temporary failures (4xx replies, a lost or refused connection) are retried
with exponential back-off; permanent ones (5xx) are not. One recipient per message, so a failure
concerns one recipient only.
"""
from __future__ import annotations

import functools
import hashlib
import html
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Callable

from addin.config import MailConfig
from addin.compute.rootcause import cause_label

XLSX_MIME = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

@dataclass(frozen=True)
class MonthFigures:
    """What the message tells about the month: the headline KPIs and the biggest root causes."""
    month: str                                  # "2026-10"
    otd: float | None                           # fraction, None when no line was due
    otif: float | None = None                   # None when unknown (no shipped quantity)
    lines: int = 0
    on_time: int = 0
    late: int = 0
    early: int = 0
    pending: int = 0
    previous_otd: float | None = None
    top_causes: tuple[tuple[str, int], ...] = ()  # (root cause, late lines), biggest first
    measured: int | None = None                 # on time + late + early (None: not given)
    unmeasurable: tuple[tuple[str, int], ...] = ()  # (reason, lines) not measured, e.g. closed_without_date
    otd_unknown: str | None = None              # why OTD is unknown (a reason code), None when known


def _headline(figures: MonthFigures, lang: str) -> list[str]:
    """How many lines were measured and what was not (SPEC section 9), as the Summary sheet says."""
    from addin.i18n import measured_headline
    if figures.measured is None and not figures.unmeasurable and not figures.otd_unknown:
        return []
    measured = figures.measured if figures.measured is not None else \
        figures.on_time + figures.late + figures.early
    return [measured_headline(measured, figures.pending, dict(figures.unmeasurable), figures.otd_unknown, lang)]


@dataclass(frozen=True)
class DeliveryResult:
    recipient: str
    ok: bool
    reply: str          # the server's last reply ("250 ...") or what went wrong
    attempts: int
    fatal: bool = False  # the connection itself cannot work (TLS, login): the next recipient would fail too


def _pct(value: float | None, lang: str) -> str:
    if value is None:
        return "n/a" if lang == "en" else "无"
    return f"{value * 100:.1f} %" if lang == "en" else f"{value * 100:.1f}%"


def subject_for(figures: MonthFigures, lang: str, template: str | None = None) -> str:
    """``OTD 2026-10: 91.7 % on time`` / ``2026年10月准时交付率 91.7%``; or the configured
    template with ``{month}`` and ``{otd}`` filled in."""
    if template is not None:
        return template.format(month=figures.month, otd=_pct(figures.otd, lang))
    year, month = figures.month.split("-")
    if figures.otd is None and figures.otd_unknown in ("no_ship_date_column", "closed_without_date"):
        from addin.i18n import t   # not "no lines due": they were due, their dates are missing
        why = t(f"unknown_short.{figures.otd_unknown}", lang)
        return f"{year}年{int(month)}月准时交付率：未知（{why}）" if lang == "zh" else \
            f"OTD {figures.month}: unknown ({why})"
    if lang == "zh":
        if figures.otd is None:
            return f"{year}年{int(month)}月准时交付率：本月无到期订单"
        return f"{year}年{int(month)}月准时交付率 {_pct(figures.otd, lang)}"
    if figures.otd is None:
        return f"OTD {figures.month}: no lines due"
    return f"OTD {figures.month}: {_pct(figures.otd, lang)} on time"


def figures_key(figures: MonthFigures, lang: str, subject_template: str | None = None) -> str:
    """What a monthly message says, as a hash: the figures, the language and the subject template
    — never the workbook's bytes, which change on every rebuild (its creation time), so a rerun
    after a crash between the server's 250 and the record sends the same Message-ID."""
    return content_key(repr((figures, lang, subject_template)))


def content_key(*parts: str) -> str:
    """What a scheduled message says, as a hash (for ``message_id``): its subject, body and the
    tables its attachment is made from — never a file's bytes, which change on every rebuild."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def message_id(month: str, recipient: str, workbook_sha256: str, sender_domain: str) -> str:
    """Deterministic, so a copy sent twice (a crash between sending and recording) is
    recognisably the same message to mail clients that de-duplicate."""
    key = "\n".join((month, recipient.lower(), workbook_sha256, sender_domain.lower()))
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}.orderdesk@{sender_domain.lower()}>"


def _body_lines(figures: MonthFigures, lang: str, workbook_name: str, as_of: str | None) -> list[str]:
    if lang == "zh":
        year, month = figures.month.split("-")
        lines = ["您好：", "", f"附件是 {year}年{int(month)}月 的准时交付报表（{workbook_name}）。", "",
                 f"准时交付率（OTD）：{_pct(figures.otd, lang)}（上月 {_pct(figures.previous_otd, lang)}）",
                 f"准时足量交付率（OTIF）：{_pct(figures.otif, lang)}",
                 f"到期订单行：{figures.lines}（准时 {figures.on_time}，延误 {figures.late}，"
                 f"提前 {figures.early}，未到期 {figures.pending}）"]
        lines += _headline(figures, lang)
        if figures.top_causes:
            lines += ["", "延误主要原因："]
            lines += [f"  {i}. {cause_label(c, lang)}：{n} 行" for i, (c, n) in enumerate(figures.top_causes[:3], 1)]
        lines += ["", f"数据截至 {as_of}。此邮件由 OrderDesk 自动发送。" if as_of else "此邮件由 OrderDesk 自动发送。"]
        return lines
    lines = ["Hello,", "", f"attached is the on-time-delivery workbook for {figures.month} ({workbook_name}).", "",
             f"OTD: {_pct(figures.otd, lang)} (previous month {_pct(figures.previous_otd, lang)})",
             f"OTIF: {_pct(figures.otif, lang)}",
             f"Lines due: {figures.lines} (on time {figures.on_time}, late {figures.late}, "
             f"early {figures.early}, pending {figures.pending})"]
    lines += _headline(figures, lang)
    if figures.top_causes:
        lines += ["", "Top root causes of late lines:"]
        lines += [f"  {i}. {cause_label(c, lang)}: {n} lines" for i, (c, n) in enumerate(figures.top_causes[:3], 1)]
    lines += ["", f"As of {as_of}. Sent automatically by OrderDesk." if as_of else "Sent automatically by OrderDesk."]
    return lines


def _html(lines: list[str]) -> str:
    # The same text as the plain part, with the figures in a list; every value escaped.
    parts, in_list = [], False
    for line in lines:
        if line.startswith("  "):
            if not in_list:
                parts.append("<ol>")
                in_list = True
            item = line.strip().split(" ", 1)[1]
            parts.append(f"<li>{html.escape(item)}</li>")
            continue
        if in_list:
            parts.append("</ol>")
            in_list = False
        if line:
            parts.append(f"<p>{html.escape(line)}</p>")
    if in_list:
        parts.append("</ol>")
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>'
            '<body style="font-family: sans-serif">\n' + "\n".join(parts) + "\n</body></html>\n")


def build_message(*, figures: MonthFigures, workbook: Path, workbook_sha256: str, sender: str, recipient: str,
                  lang: str = "en", subject_template: str | None = None, as_of: str | None = None,
                  date: float | None = None, message_key: str | None = None) -> EmailMessage:
    """One message to one recipient: plain text and HTML alternatives, the workbook attached. The
    Message-ID comes from the month, the recipient and ``message_key`` (``figures_key``; default
    the workbook's hash)."""
    workbook = Path(workbook)
    sender_domain = parseaddr(sender)[1].rpartition("@")[2]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = subject_for(figures, lang, subject_template)
    msg["Date"] = formatdate(date, localtime=True)
    msg["Message-ID"] = message_id(figures.month, parseaddr(recipient)[1], message_key or workbook_sha256,
                                   sender_domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    msg["X-OrderDesk-Month"] = figures.month
    lines = _body_lines(figures, lang, workbook.name, as_of)
    # quoted-printable keeps the message 7-bit, so no server needs 8BITMIME
    msg.set_content("\n".join(lines) + "\n", cte="quoted-printable")
    msg.add_alternative(_html(lines), subtype="html", cte="quoted-printable")
    msg.add_attachment(workbook.read_bytes(), maintype=XLSX_MIME[0], subtype=XLSX_MIME[1], filename=workbook.name)
    return msg


def text_message(*, sender: str, recipient: str, subject: str, body: str, key: str, content: str,
                 attachment: Path | None = None) -> EmailMessage:
    """A plain-text message of a scheduled job (the weekly notice, the escalation digest) to one
    recipient; the Message-ID from the job's ``key`` (``notice 2026-W48 ACME``), the recipient
    and ``content`` (``content_key`` of what the message says), so a rebuilt message keeps it."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id(key, parseaddr(recipient)[1], content, domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    msg.set_content(body, cte="quoted-printable")
    if attachment is not None:
        msg.add_attachment(attachment.read_bytes(), maintype=XLSX_MIME[0], subtype=XLSX_MIME[1],
                           filename=attachment.name)
    return msg


class _Fatal(Exception):
    """The connection cannot be made safely or at all: no retry, no next recipient."""


@functools.lru_cache(maxsize=1)
def _local_hostname() -> str:
    # smtplib would call getfqdn() for every connection; slow where reverse DNS is broken.
    return socket.getfqdn()


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}".strip()


def ssl_context(mail: MailConfig) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if mail.cacert is not None:
        context.load_verify_locations(cafile=str(mail.cacert))
    return context


def _open(mail: MailConfig) -> smtplib.SMTP:
    context = ssl_context(mail)
    if mail.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(mail.host, mail.port, local_hostname=_local_hostname(),
                                                timeout=mail.timeout, context=context)
    else:
        server = smtplib.SMTP(mail.host, mail.port, local_hostname=_local_hostname(), timeout=mail.timeout)
    try:
        code, text = server.ehlo()
        if not 200 <= code < 300:
            raise smtplib.SMTPHeloError(code, text)
        if mail.security == "starttls":
            if not server.has_extn("starttls"):
                raise _Fatal(f"{mail.host}:{mail.port} does not offer STARTTLS; refusing to send in plain text "
                             f"(use security = \"ssl\" if the server expects TLS from the start)")
            server.starttls(context=context)
            server.ehlo()
        if mail.user:
            server.login(mail.user, mail.password or "")
    except BaseException:
        server.close()
        raise
    return server


def _send_once(message: EmailMessage, mail: MailConfig, recipient: str) -> str:
    # CRLF line ends: smtplib sends bytes as they are, and bare LF is not SMTP
    data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    try:
        server = _open(mail)
    except smtplib.SMTPAuthenticationError as exc:
        if 400 <= exc.smtp_code < 500:
            raise
        raise _Fatal(f"login as {mail.user} refused: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise
        raise _Fatal(f"{mail.host}:{mail.port} refused the connection: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except smtplib.SMTPServerDisconnected:
        raise
    except smtplib.SMTPException as exc:  # e.g. no AUTH offered, no common AUTH mechanism
        raise _Fatal(f"cannot log in to {mail.host}:{mail.port}: {exc}") from None
    try:
        # The transaction by hand (as smtplib.sendmail does) to keep the server's final reply.
        code, text = server.mail(mail.sender_address)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, text, mail.sender_address)
        code, text = server.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, text)})
        code, text = server.data(data)
        if code != 250:
            raise smtplib.SMTPDataError(code, text)
        return _reply(code, text)
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()


def send_message(message: EmailMessage, mail: MailConfig, *, recipient: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> DeliveryResult:
    """Deliver one message to one recipient (default: its To address). Never raises for an
    SMTP or network failure: the result says what happened and whether to go on."""
    recipient = recipient or parseaddr(str(message["To"]))[1]
    attempts = 0
    while True:
        attempts += 1
        temporary = False
        try:
            return DeliveryResult(recipient, True, _send_once(message, mail, recipient), attempts)
        except _Fatal as exc:
            return DeliveryResult(recipient, False, str(exc), attempts, fatal=True)
        except ssl.SSLCertVerificationError as exc:
            return DeliveryResult(recipient, False, f"certificate of {mail.host} not trusted: {exc.verify_message} "
                                  f"(add the issuing CA to [mail] cacert if it is your company's)", attempts, fatal=True)
        except ssl.SSLError as exc:
            return DeliveryResult(recipient, False, f"TLS with {mail.host}:{mail.port} failed: {exc.reason or exc}",
                                  attempts, fatal=True)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            reply, temporary = _reply(code, text), 400 <= code < 500
        except smtplib.SMTPResponseException as exc:
            reply, temporary = _reply(exc.smtp_code, exc.smtp_error), 400 <= exc.smtp_code < 500
        except smtplib.SMTPServerDisconnected as exc:
            reply, temporary = f"connection lost: {exc or 'server closed the connection'}", True
        except UnicodeError as exc:   # a host name the resolver cannot encode (a label over 63 characters)
            return DeliveryResult(recipient, False, f"cannot reach {mail.host}:{mail.port}: {exc}", attempts,
                                  fatal=True)
        except (OSError, smtplib.SMTPException) as exc:  # refused, reset, timed out, name not found
            reply, temporary = f"cannot reach {mail.host}:{mail.port}: {getattr(exc, 'strerror', None) or exc}", True
        if not temporary or attempts > mail.retries:
            return DeliveryResult(recipient, False, reply, attempts)
        sleep(min(mail.retry_delay * 2.0 ** min(attempts - 1, 16), 3600.0))   # at most an hour between tries
