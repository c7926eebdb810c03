"""`orderdesk notice`: one customer's weekly progress notice — its content read back from the
workbook and the e-mail body (zh and en), the delay sentence of seed practice, shipments since the
last notice, and isolation: 50 customers, each notice searched for every other customer's names
and order numbers."""
from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from addin.compute.notice import REDACTED, Redactor

D = dt.date
HEADER = ["订单号", "行号", "客户名称", "料号", "品名", "订单数量", "客户交期", "承诺交期", "订单状态", "出货数量",
          "实际出货日期", "异常类型", "异常说明", "处理措施", "计划领料日期", "实际领料日期", "计划质检日期",
          "实际质检日期"]
AS_OF = "2026-11-20"   # a Friday; the horizon of 3 working days ends 2026-11-25


def write_ledger(path: Path, rows: list[list]) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("订单跟踪")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def row(order, line, customer, part, qty, requested, promised, status, shipped=None, ship=None, etype=None,
        note=None, action=None, pm=None, am=None, pq=None, aq=None, desc="控制板"):
    return [order, line, customer, part, desc, qty, requested, promised, status, shipped, ship, etype, note, action,
            pm, am, pq, aq]


ROWS = [
    # overdue since its promise 11-12 (8 days), material, an action that names another customer's order
    row("PO-N1", 1, "Nordic Audio", "P-100", 100, D(2026, 11, 10), D(2026, 11, 12), "生产中", etype="缺料",
        note="Beta Robotics 插单，PO-B1 先做", action="加急采购，排在 PO-B1（Beta Robotics）之后"),
    # promised 11-25 for a requested 11-23: may be 2 days late, equipment
    row("PO-N2", 1, "Nordic Audio", "P-200", 50, D(2026, 11, 23), D(2026, 11, 25), "生产中",
        note="设备故障停机", action="换线生产"),
    # on track, one of two milestones done
    row("PO-N3", 1, "Nordic Audio", "P-300", 10, D(2026, 12, 15), D(2026, 12, 15), "待排产",
        pm=D(2026, 11, 17), am=D(2026, 11, 18), pq=D(2026, 12, 10)),
    # shipped in the window (after 11-13, up to 11-20)
    row("PO-N3", 2, "Nordic Audio", "P-301", 20, D(2026, 11, 18), D(2026, 11, 18), "已出货", 20, D(2026, 11, 18)),
    # shipped on the day of the last notice: in that one, not this one
    row("PO-N0", 1, "Nordic Audio", "P-302", 5, D(2026, 11, 13), D(2026, 11, 13), "已出货", 5, D(2026, 11, 13)),
    row("PO-N4", 1, "Nordic Audio", "P-303", 5, D(2026, 12, 1), None, "已取消"),
    row("PO-B1", 1, "Beta Robotics", "P-100", 300, D(2026, 11, 15), D(2026, 11, 15), "生产中", note="模具维修"),
    row("PO-B2", 1, "Beta Robotics", "P-301", 70, D(2026, 11, 16), D(2026, 11, 16), "已出货", 70, D(2026, 11, 17)),
    row("PO-L1", 1, "蓝海医疗", "P-500", 8, D(2026, 11, 21), D(2026, 11, 21), "生产中"),
]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", "notice", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write_ledger(tmp_path / "ledger.xlsx", ROWS)


def cells(path: Path) -> list[list]:
    wb = openpyxl.load_workbook(path)
    assert len(wb.sheetnames) == 1
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def all_text(path: Path) -> str:
    """Every XML part of the workbook (cells, shared strings, properties, headers) as one text."""
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def test_notice_in_chinese(ledger: Path, tmp_path: Path):
    out, body = tmp_path / "notice.xlsx", tmp_path / "notice.txt"
    proc = run(str(ledger), "--customer", " nordic AUDIO ", "--as-of", AS_OF, "--lang", "zh", "--out", str(out),
               "--body", str(body))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"已写入 {out}：Nordic Audio 未交 3 行，风险/逾期 2 行，出货 1 行\n"
    rows = cells(out)
    assert rows[0][0] == "订单进度周报"
    assert rows[1][0] == "致：Nordic Audio"
    assert rows[2][0] == "截至 2026-11-20（上次通知 2026-11-13）"
    assert rows[3][0] == "未交订单行 3 行：正常 1，有风险 1，逾期 1；2026-11-13 之后出货 1 行"
    risk = {r[0]: r for r in rows if r[0] in ("PO-N1", "PO-N2") and r[3] in ("逾期", "有风险")}
    assert risk["PO-N1"][3:10] == ["逾期", dt.datetime(2026, 11, 12), 8, "物料", "加急采购，排在 …（…）之后",
                                   "待确认", "已延误8天：原因物料，措施加急采购，排在 …（…）之后，新交期待确认"]
    assert risk["PO-N2"][3:10] == ["有风险", dt.datetime(2026, 11, 25), 2, "设备", "换线生产",
                                   dt.datetime(2026, 11, 25), "交期可能延误2天：原因设备，措施换线生产，预计2026-11-25交货"]
    shipped = [r for r in rows if r[0] == "PO-N3" and r[1] == "2"]
    assert shipped == [["PO-N3", "2", "P-301", "控制板", dt.datetime(2026, 11, 18), 20] + [None] * 5]
    opened = {r[0] + "/" + r[1]: r for r in rows if r[0] in ("PO-N1", "PO-N2", "PO-N3") and len(r) > 10 and r[10]}
    assert opened["PO-N3/1"][8:11] == ["未开始", "正常", "1/2 完成；下一步 质检（计划 2026-12-10）"]
    assert opened["PO-N1/1"][8:10] == ["生产中", "逾期"]
    text = all_text(out) + body.read_text(encoding="utf-8")
    for other in ("Beta", "PO-B1", "PO-B2", "蓝海医疗", "PO-L1", "PO-N0", "PO-N4", "插单", "ledger.xlsx"):
        assert other not in text, other
    lines = body.read_text(encoding="utf-8").splitlines()
    assert lines[:9] == [
        "Nordic Audio 您好：", "", "以下是截至 2026-11-20 贵司订单的进度：",
        "未交订单行 3 行：正常 1，有风险 1，逾期 1；2026-11-13 之后出货 1 行", "", "交期风险与延误：",
        "- PO-N1 / 1  P-100: 已延误8天：原因物料，措施加急采购，排在 …（…）之后，新交期待确认",
        "- PO-N2 / 1  P-200: 交期可能延误2天：原因设备，措施换线生产，预计2026-11-25交货", ""]
    assert "- PO-N3 / 2  P-301  20  2026-11-18" in lines
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToHeight == 0 and ws.print_area is not None


def test_notice_in_english_json(ledger: Path, tmp_path: Path):
    out = tmp_path / "notice.xlsx"
    proc = run(str(ledger), "--customer", "Nordic Audio", "--as-of", AS_OF, "--lang", "en", "--out", str(out),
               "--format", "json", "--since", "2026-11-10")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["counts"] == {"open": 3, "overdue": 1, "at_risk": 1, "on_track": 1, "shipped": 2}
    assert [(s["order_no"], s["ship_date"]) for s in got["shipped"]] == [("PO-N0", "2026-11-13"),
                                                                        ("PO-N3", "2026-11-18")]
    assert [a["message"] for a in got["at_risk"]] == [
        f"Already 8 days late: cause material; action 加急采购，排在 {REDACTED}（{REDACTED}）之后; new date to be confirmed",
        "Delivery may be 2 days late: cause equipment; action 换线生产; expected 2026-11-25"]
    assert got["email"]["subject"] == "Weekly order progress, Nordic Audio, 2026-11-20"
    body = got["email"]["body"]
    assert body.startswith("Dear Nordic Audio,\n\nHere is the progress of your orders as of 2026-11-20:\n"
                           "3 open lines: 1 on track, 1 at risk, 1 overdue; 2 lines shipped since 2026-11-10\n")
    assert "- PO-N3 / 1  P-300  10  2026-12-15  on track  1 of 2 done; next QC (planned 2026-12-10)" in body
    rows = cells(out)
    assert rows[0][0] == "Weekly order progress" and rows[1][0] == "To: Nordic Audio"
    assert ["Order no", "Line", "Part no", "Delivery", "Promised", "Days late", "Cause", "Action", "Expected",
            "Message", None] in rows


def test_exit_status(ledger: Path, tmp_path: Path):
    out = tmp_path / "n.xlsx"
    proc = run(str(ledger), "--customer", "Nordic Audi", "--out", str(out), "--as-of", AS_OF)
    assert proc.returncode == 1
    assert proc.stderr == "Error: ledger.xlsx: no line of customer 'Nordic Audi' — did you mean 'Nordic Audio'?\n"
    proc = run(str(ledger), "--customer", "Nordic Audio", "--out", str(out), "--as-of", AS_OF, "--since", "2026-12-01")
    assert proc.returncode == 1
    assert proc.stderr == "Error: --since 2026-12-01 is after the as-of date 2026-11-20\n"
    proc = run(str(ledger), "--customer", "Nordic Audio", "--out", str(ledger))
    assert proc.returncode == 1 and proc.stderr.startswith("Error: ledger.xlsx is one of the input files")
    proc = run(str(ledger), "--customer", "Nordic Audio", "--out", str(out), "--since", "13/11/2026")
    assert proc.returncode == 2 and "'13/11/2026' is not a date (expected YYYY-MM-DD)" in proc.stderr
    proc = run(str(ledger), "--out", str(out))
    assert proc.returncode == 2 and "Missing option '--customer'" in proc.stderr
    assert not out.exists()


def test_redactor_keeps_own_names_that_contain_another():
    redact = Redactor(["ACME", "PO-12", "Beta"], own=["ACME-EU", "PO-123"])
    assert redact("ship PO-123 of ACME-EU before PO-12 of acme, not PO-1234; beta's") == \
        f"ship PO-123 of ACME-EU before {REDACTED} of {REDACTED}, not PO-1234; {REDACTED}'s"


# ---------------------------------------------------------------------- isolation, 50 customers

_SYLLABLES = ["ka", "lo", "mi", "ta", "ve", "ru", "no", "zi", "pe", "sa", "do", "qu"]
_HANZI = "蓝海星河智能光电精密医疗科技华安达盛恒远"


def customers(n: int = 50) -> list[str]:
    rng = random.Random(18)
    names: list[str] = []
    while len(names) < n:
        if len(names) % 3 == 2:
            name = "".join(rng.sample(_HANZI, 4)) + "公司"
        else:
            name = "".join(rng.choice(_SYLLABLES) for _ in range(3)).title() + " " + rng.choice(
                ["Audio", "Robotics", "Medical", "Systems", "GmbH"])
        # no name inside another: a search for one must not be set off by another
        if all(name not in o and o not in name for o in names):
            names.append(name)
    return names


def test_isolation_50_customers(tmp_path: Path):
    from addin.config import Settings
    from addin.jobs.inputs import read_ledger
    from addin.jobs.notice import customer_progress, write_notice
    names = customers()
    rng = random.Random(50)
    rows, orders = [], {}
    for c, name in enumerate(names):
        orders[name] = []
        for o in range(3):
            order = f"SO-{c:02d}{o:03d}"
            orders[name].append(order)
            for ln in (1, 2):
                due = D(2026, 11, 10) + dt.timedelta(days=rng.randint(0, 30))
                neighbour = names[(c + 1) % len(names)]
                status = rng.choice(["生产中", "待排产", "已出货"])
                ship = due - dt.timedelta(days=1) if status == "已出货" else None
                rows.append(row(order, ln, name, f"P-{rng.randint(100, 999)}", rng.randint(1, 900), due, due, status,
                                shipped=5 if ship else None, ship=ship, etype=rng.choice([None, "缺料", "设备故障"]),
                                note=f"{neighbour} 插单", action=f"优先 {neighbour} 的 {orders.get(neighbour, [order])[0]}"
                                f" 之后，{order} 加班", desc=f"为 {neighbour} 同款"))
    ledger = write_ledger(tmp_path / "ledger.xlsx", rows)
    result = read_ledger(ledger)
    assert len(result.data) == 300
    settings = Settings()
    for c, name in enumerate(names):
        out, body = tmp_path / f"n{c}.xlsx", tmp_path / f"n{c}.txt"
        job = customer_progress(result, name, settings, as_of=D(2026, 11, 20), lang="zh" if c % 2 else "en")
        write_notice(out, job, inputs=[ledger], body=body)
        text = all_text(out) + "\n" + body.read_text(encoding="utf-8")
        assert name in text
        shown = job.notice.counts["open"] + job.notice.counts["shipped"]
        assert sum(order in text for order in orders[name]) >= min(shown, 1)   # its own orders are there
        for other in names:
            if other == name:
                continue
            assert other not in text, (name, other)
            for order in orders[other]:
                assert order not in text, (name, order)


# ---------------------------------------------------------------------- the weekly send, real SMTP on loopback

from test_mail_support import start_server, write_config  # noqa: E402

NOTICE_TOML = """
[notice]
weekday = "周一"
out_dir = "notices"
[notice.customers."Nordic Audio"]
to = ["Buyer <buyer@nordic.example>"]
lang = "en"
[notice.customers."Beta Robotics"]
to = ["b1@beta.example", "b2@beta.example"]
lang = "zh"
"""
NEW_CUSTOMER = """[notice.customers."蓝海医疗"]
to = ["cg@lanhai.example"]
"""


@pytest.fixture
def smtp(tmp_path: Path):
    srv = start_server(tmp_path)
    yield srv
    srv.controller.stop()


def weekly_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    ledger = write_ledger(tmp_path / "ledger.xlsx", ROWS)
    config = write_config(tmp_path, port, ledger=ledger, to=("manager@example.com",))
    config.write_text(config.read_text(encoding="utf-8") + NOTICE_TOML + extra, encoding="utf-8")
    return config


def weekly(config: Path, day: dt.date, **kw):
    from addin.config import load_config
    from addin.jobs.weekly import run_weekly
    return run_weekly(load_config(config), as_of=day, sleep=lambda _s: None, **kw)


def test_weekly_once_per_week_and_recipient_and_a_customer_added_mid_week(tmp_path: Path, smtp):
    config = weekly_config(tmp_path, smtp.port)
    monday, wednesday = D(2026, 11, 23), D(2026, 11, 25)
    first = weekly(config, monday)
    assert first.ok and first.week == "2026-W48"
    assert [(d.customer, d.recipient, d.status) for d in first.deliveries] == [
        ("Nordic Audio", "Buyer <buyer@nordic.example>", "sent"), ("Beta Robotics", "b1@beta.example", "sent"),
        ("Beta Robotics", "b2@beta.example", "sent")]
    [nordic] = smtp.handler.to("buyer@nordic.example")
    assert nordic["Subject"] == "Weekly order progress, Nordic Audio, 2026-11-23"
    body = nordic.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("Dear Nordic Audio,\n")
    [attachment] = list(nordic.iter_attachments())
    assert attachment.get_filename() == "notice-Nordic_Audio-2026-W48.xlsx"
    book = tmp_path / "got.xlsx"
    book.write_bytes(attachment.get_content())
    text = all_text(book) + body
    assert "PO-N2" in text and not any(x in text for x in ("Beta", "PO-B1", "PO-B2", "蓝海医疗", "PO-L1"))
    [beta] = smtp.handler.to("b1@beta.example")
    assert beta["Subject"] == "订单进度周报 Beta Robotics 2026-11-23"
    assert "Nordic" not in beta.get_body(("plain",)).get_content()

    # a second run the same week sends nothing
    again = weekly(config, wednesday)
    assert {d.status for d in again.deliveries} == {"already_sent"} and len(smtp.handler.messages) == 3
    # a customer added mid-week gets this week's notice, nobody else hears again
    config.write_text(config.read_text(encoding="utf-8") + NEW_CUSTOMER, encoding="utf-8")
    added = weekly(config, wednesday)
    assert [(d.customer, d.status) for d in added.deliveries] == [
        ("Nordic Audio", "already_sent"), ("Beta Robotics", "already_sent"), ("Beta Robotics", "already_sent"),
        ("蓝海医疗", "sent")]
    assert len(smtp.handler.messages) == 4
    # next week: everyone again
    assert {d.status for d in weekly(config, D(2026, 11, 30)).deliveries} == {"sent"}
    assert len(smtp.handler.messages) == 8


def test_weekly_waits_for_its_weekday_retries_and_reports_failures(tmp_path: Path, smtp):
    config = weekly_config(tmp_path, smtp.port, '[notice.customers."Nobody Ltd"]\nto = ["x@nobody.example"]\n')
    config.write_text(config.read_text(encoding="utf-8").replace('weekday = "周一"', 'weekday = "wednesday"'),
                      encoding="utf-8")
    early = weekly(config, D(2026, 11, 23))           # Monday, the notices go out on Wednesday
    assert not early.due and early.deliveries == () and smtp.handler.messages == []
    smtp.handler.plans["buyer@nordic.example"] = ["451 4.3.0 try again later"]
    smtp.handler.plans["b2@beta.example"] = ["550 5.1.1 no such user"]
    outcome = weekly(config, D(2026, 11, 25))
    status = {(d.customer, d.recipient): (d.status, d.reply) for d in outcome.deliveries}
    assert status[("Nordic Audio", "Buyer <buyer@nordic.example>")][0] == "sent"    # retried
    assert status[("Beta Robotics", "b2@beta.example")] == ("failed", "550 5.1.1 no such user")
    assert status[("Nobody Ltd", "x@nobody.example")] == (
        "failed", "ledger.xlsx: no line of customer 'Nobody Ltd'")
    assert not outcome.ok
    # the command: exit 3, and a rerun only retries what failed
    proc = subprocess.run([sys.executable, "-m", "addin.cli", "weekly", "--config", str(config), "--as-of",
                           "2026-11-26"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr
    assert "  already_sent  Nordic Audio: Buyer <buyer@nordic.example>" in proc.stdout
    assert "  sent          Beta Robotics: b2@beta.example" in proc.stdout
    assert proc.stderr.startswith("Error: 1 of 4 notices of 2026-W48 not delivered (first: Nobody Ltd, "
                                  "x@nobody.example: ledger.xlsx: no line of customer 'Nobody Ltd')")


def test_weekly_config_errors(tmp_path: Path):
    config = weekly_config(tmp_path, 2525)
    config.write_text(config.read_text(encoding="utf-8").replace('weekday = "周一"', 'weekday = "someday"'),
                      encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "addin.cli", "weekly", "--config", str(config)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert proc.stderr == ("Error: orderdesk.toml: [notice] weekday 'someday' is not a day of the week "
                           "(monday … sunday, 周一 … 周日, or 1-7 from Monday)\n")
