"""A real SMTP server on loopback for the mail and monthly-job tests (aiosmtpd), plus helpers.
No tests here; imported by tests/test_mail*.py and tests/test_monthly*.py."""
from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

PASSWORD = "s3cret-Passw0rd"
USER = "reports@example.com"


class LoopbackController(Controller):
    """Controller bound to port 0: the port is read back from the listening socket."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class Handler:
    """Records every accepted message. ``plans`` maps a recipient to the replies its next DATA
    commands get ("451 ...", "552 ...", "drop" to cut the connection); "250" once the plan is used up."""
    plans: dict[str, list[str]] = field(default_factory=dict)
    delay: float = 0.0
    messages: list = field(default_factory=list)
    data_commands: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        recipient = envelope.rcpt_tos[0].lower()
        with self.lock:
            self.data_commands.append(recipient)
            plan = self.plans.get(recipient) or []
            reply = plan.pop(0) if plan else "250 2.0.0 Ok: queued"
        if reply == "drop":
            server.transport.close()
            return "421 gone"
        if reply.startswith("250"):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            with self.lock:
                self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return reply

    def to(self, address: str) -> list:
        return [m for _, rcpts, m in self.messages if [r.lower() for r in rcpts] == [address.lower()]]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
        and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535 itself


@dataclass
class Server:
    handler: Handler
    controller: LoopbackController
    ca_file: Path | None = None

    @property
    def port(self) -> int:
        return self.controller.port


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    return trustme.CA()


def _server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def start_server(tmp_path: Path, *, mode: str = "plain", ca: trustme.CA | None = None,
                 handler: Handler | None = None) -> Server:
    """mode: plain (no TLS, no AUTH), starttls (STARTTLS required, AUTH), ssl (TLS on connect, AUTH),
    notls (no STARTTLS offered, AUTH allowed in the clear)."""
    handler = handler or Handler()
    kwargs: dict = {}
    ca_file = None
    if mode in ("starttls", "ssl"):
        assert ca is not None
        ca_file = tmp_path / "test-ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        if mode == "starttls":
            kwargs.update(tls_context=_server_context(ca), require_starttls=True, authenticator=authenticator,
                          auth_require_tls=True)
        else:  # TLS from the first byte; aiosmtpd only counts STARTTLS as TLS for AUTH
            kwargs.update(ssl_context=_server_context(ca), authenticator=authenticator, auth_require_tls=False)
    elif mode == "notls":
        kwargs.update(authenticator=authenticator, auth_require_tls=False)
    with warnings.catch_warnings():
        # aiosmtpd warns that AUTH without STARTTLS is unsafe: these servers are that on purpose.
        warnings.simplefilter("ignore", UserWarning)
        controller = LoopbackController(handler, hostname="127.0.0.1", port=0, **kwargs)
        controller.start()
    return Server(handler, controller, ca_file)


def write_config(folder: Path, port: int, *, security: str = "none", host: str = "127.0.0.1",
                 to: tuple[str, ...] = ("manager@example.com", "pmc@example.com"), user: str | None = None,
                 cacert: Path | None = None, extra_mail: str = "", report: str = "lang = \"en\"\n",
                 ledger: Path | None = None) -> Path:
    if ledger is None:
        ledger = folder / "ledger.xlsx"
        if not ledger.exists():
            ledger.write_bytes(b"placeholder")  # the test builder does not read it
    lines = [f"[ledger]\npath = {str(ledger.name if ledger.parent == folder else ledger)!r}\n",
             f"[report]\n{report}",
             "[mail]", f"host = {host!r}", f"port = {port}", f"security = {security!r}",
             "sender = \"OrderDesk <reports@example.com>\"",
             "to = [" + ", ".join(repr(t) for t in to) + "]",
             "retries = 3", "retry_delay = 0.01", "timeout = 10"]
    if user:
        lines += [f"user = {user!r}", "password_env = \"ORDERDESK_TEST_SMTP_PASSWORD\""]
    if cacert:
        lines.append(f"cacert = {str(cacert)!r}")
    if extra_mail:
        lines.append(extra_mail)
    path = folder / "orderdesk.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SIMPLE_FIGURES = dict(otd=0.9167, otif=0.9, lines=124, on_time=110, late=9, early=1, pending=4, previous_otd=0.88,
                      top_causes=(("material", 5), ("capacity", 3), ("quality", 1)))


def make_workbook(path: Path, text: str) -> Path:
    import xlsxwriter
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("Summary")
    sheet.write_string(0, 0, text)
    sheet.write_number(1, 0, SIMPLE_FIGURES["otd"])
    workbook.close()
    return path


def simple_builder(config, month, as_of, lang, out):
    """Stands in for the monthly-report writer where a test is about delivery only."""
    from addin.mail import MonthFigures
    make_workbook(out, f"OTD {month:%Y-%m} as of {as_of.isoformat()}")
    return MonthFigures(month=f"{month:%Y-%m}", **SIMPLE_FIGURES)
