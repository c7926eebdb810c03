"""The escalation digest (SPEC section 11): major exceptions (open, ≥ major_days late) and actions
past their deadline, with owner, problem, action and deadline — listed by `orderdesk escalate`
and e-mailed to `[escalation] to` through a real SMTP server on loopback (aiosmtpd), once per day
and recipient. Which line is escalated, and why, is worked out by hand per line below."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from addin.compute.escalation import escalations
from addin.compute.otd import OtdSettings, classify

ROOT = Path(__file__).resolve().parent.parent
D = dt.datetime
AS_OF = "2026-11-23"
HEADER = ["订单号", "行号", "客户", "料号", "订单数量", "承诺交期", "实际出货日期", "状态", "跟单员", "异常类型",
          "异常说明", "改善措施", "完成期限"]
ROWS = [
    # 13 days late, open: major; its action (deadline 11-18) is 5 days overdue too
    ["SO-1", "1", "ACME", "A-1", 10, D(2026, 11, 10), None, "生产中", "李", "缺料", "IC-7 来料延误", "催供应商 Acme Semi",
     D(2026, 11, 18)],
    # 4 days late, open, nothing written: major, with empty problem and action
    ["SO-2", "1", "ACME", "A-2", 10, D(2026, 11, 19), None, "生产中", "王", None, None, None, None],
    # 2 days late (not major) but its action is 1 day past the deadline
    ["SO-3", "1", "Beta", "B-1", 10, D(2026, 11, 21), None, "生产中", "王", "设备", "SMT 故障", "维修", D(2026, 11, 22)],
    # shipped 8 days late: no longer chased; its action deadline passed but the line is done
    ["SO-4", "1", "Beta", "B-2", 10, D(2026, 11, 1), D(2026, 11, 9), "已出货", "李", "品质", "返工", "8D", D(2026, 11, 15)],
    # not yet due, action overdue 3 days: escalated for the action
    ["SO-5", "1", "Gamma", "C-1", 10, D(2026, 11, 30), None, "生产中", "赵", "客户变更", "改单", "确认图纸", D(2026, 11, 20)],
    # 3 days late exactly: major (≥ 3); deadline today: not yet past
    ["SO-6", "2", "Gamma", "C-2", 10, D(2026, 11, 20), None, "生产中", "赵", "产能", "插单", "加班", D(2026, 11, 23)],
    # cancelled, long overdue: never escalated
    ["SO-7", "1", "Gamma", "C-3", 10, D(2026, 10, 1), None, "已取消", "赵", None, None, "取消", D(2026, 10, 5)],
]


def write_ledger(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("订单跟踪")
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(ROWS, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, dates)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def orderdesk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_which_lines_and_why_by_hand(tmp_path: Path):
    from addin.jobs.inputs import read_ledger
    ledger = read_ledger(write_ledger(tmp_path / "ledger.xlsx"))
    day = dt.date.fromisoformat(AS_OF)
    table = escalations(classify(ledger.data, day, OtdSettings()), day, 3)
    got = [(r["order_no"], r["reason"], None if pd.isna(r["days_late"]) else int(r["days_late"]),
            None if pd.isna(r["days_past_deadline"]) else int(r["days_past_deadline"]), r["root_cause"])
           for r in table.to_dict("records")]
    assert got == [("SO-1", "major+action_overdue", 13, 5, "material"), ("SO-2", "major", 4, None, "unclassified"),
                   ("SO-6", "major", 3, None, "capacity"), ("SO-3", "action_overdue", 2, 1, "equipment"),
                   ("SO-5", "action_overdue", None, 3, "customer")]
    # major_days 5: SO-2 and SO-6 drop out, SO-1 stays
    table5 = escalations(classify(ledger.data, day, OtdSettings(major_days=5)), day, 5)
    assert table5["order_no"].tolist() == ["SO-1", "SO-3", "SO-5"]


def test_escalate_lists_the_digest_in_chinese(tmp_path: Path):
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    run = orderdesk("escalate", str(ledger), "--as-of", AS_OF, "--lang", "zh")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "异常升级通报 2026-11-23：重大异常 3 项，措施逾期 3 项"
    assert lines[1] == "截至 2026-11-23：未交货且延误 3 天及以上的重大异常 3 项；超过完成期限的改善措施 3 项。"
    assert lines[3] == "1. SO-1/1 ACME A-1 — 延误 13 天（交期 2026-11-10）；措施逾期 5 天（期限 2026-11-18）"
    assert lines[4] == "   责任人：李；问题：IC-7 来料延误（物料）；措施：催供应商 Acme Semi；期限：2026-11-18"
    assert lines[6] == "   责任人：王；问题：（未填）（未分类）；措施：（未填）；期限：（未填）"
    assert not any(x in run.stdout for x in ("SO-4", "SO-7"))


def test_escalate_json_and_major_days_option(tmp_path: Path):
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    run = orderdesk("escalate", str(ledger), "--as-of", AS_OF, "--format", "json", "--major-days", "5")
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert (got["major_days"], got["major"], got["action_overdue"], got["lines"]) == (5, 1, 3, 3)
    first = got["escalations"][0]
    assert first == {"reason": "major+action_overdue", "order_no": "SO-1", "line_no": "1", "customer": "ACME",
                     "part_no": "A-1", "qty": 10, "due_date": "2026-11-10", "days_late": 13, "owner": "李",
                     "problem": "IC-7 来料延误", "root_cause": "material", "action": "催供应商 Acme Semi",
                     "action_deadline": "2026-11-18", "days_past_deadline": 5, "source_row": 2}


from test_mail_support import start_server, write_config  # noqa: E402


@pytest.fixture
def smtp(tmp_path: Path):
    srv = start_server(tmp_path)
    yield srv
    srv.controller.stop()


def escalation_config(tmp_path: Path, port: int, section: str) -> Path:
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    config = write_config(tmp_path, port, ledger=ledger, to=("manager@example.com",))
    config.write_text(config.read_text(encoding="utf-8") + section, encoding="utf-8")
    return config


SECTION = '[escalation]\nto = ["Head <head@example.com>", "coo@example.com"]\nlang = "en"\n'


def send(config: Path, day: str, *extra: str) -> subprocess.CompletedProcess:
    return orderdesk("escalate", "--send", "--config", str(config), "--as-of", day, *extra)


def test_digest_sent_once_per_day_and_recipient(tmp_path: Path, smtp):
    config = escalation_config(tmp_path, smtp.port, SECTION)
    first = send(config, AS_OF)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["  sent          Head <head@example.com>", "  sent          coo@example.com"]
    [head] = smtp.handler.to("head@example.com")
    # Python folds this 81-character header right after "Subject:"; a mail client unfolds it (RFC 5322 2.2.3)
    assert " ".join(head["Subject"].split()) == "Escalation 2026-11-23: 3 major exceptions, 3 actions past their deadline"
    assert head["Auto-Submitted"] == "auto-generated"
    body = head.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("As of 2026-11-23: 3 open lines 3 or more days late (major exceptions); "
                           "3 actions past their deadline.\n\n1. SO-1/1 ACME A-1 — 13 days late (due 2026-11-10); "
                           "action 5 days past its deadline (2026-11-18)\n"
                           "   owner: 李; problem: IC-7 来料延误 (Material); action: 催供应商 Acme Semi; "
                           "deadline: 2026-11-18\n")
    assert "SO-4" not in body and "SO-7" not in body
    assert len(smtp.handler.to("coo@example.com")) == 1 and len(smtp.handler.to("manager@example.com")) == 0
    # the same day again: nothing new
    again = send(config, AS_OF)
    assert again.returncode == 0 and "already_sent" in again.stdout and len(smtp.handler.messages) == 2
    assert again.stdout.splitlines()[-1] == "2026-11-23: today's digest was already sent to everyone"
    # a recipient added the same day gets it; the next day everyone again
    config.write_text(config.read_text(encoding="utf-8").replace('"coo@example.com"]',
                                                                 '"coo@example.com", "ceo@example.com"]'),
                      encoding="utf-8")
    added = send(config, AS_OF)
    assert added.returncode == 0 and "  sent          ceo@example.com" in added.stdout
    assert len(smtp.handler.messages) == 3
    assert send(config, "2026-11-24").returncode == 0 and len(smtp.handler.messages) == 6


def test_nothing_to_escalate_sends_nothing(tmp_path: Path, smtp):
    config = escalation_config(tmp_path, smtp.port, SECTION)
    run = send(config, "2026-11-12")       # only SO-1 is late, 2 days: not major; no deadline passed
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "2026-11-12: nothing to escalate; nothing sent"
    assert smtp.handler.messages == []


def test_failures_exit_3_and_a_rerun_retries_only_them(tmp_path: Path, smtp):
    config = escalation_config(tmp_path, smtp.port, SECTION)
    smtp.handler.plans["coo@example.com"] = ["550 5.1.1 no such user"]
    run = send(config, AS_OF)
    assert run.returncode == 3
    assert run.stderr.strip() == ("Error: 1 of 2 escalation digests of 2026-11-23 not delivered (first: "
                                  "coo@example.com: 550 5.1.1 no such user) — run again to retry them")
    rerun = send(config, AS_OF)
    assert rerun.returncode == 0, rerun.stderr
    assert "  already_sent  Head <head@example.com>" in rerun.stdout and "  sent          coo@example.com" in rerun.stdout
    assert len(smtp.handler.to("head@example.com")) == 1


def test_dry_run_sends_nothing(tmp_path: Path, smtp):
    config = escalation_config(tmp_path, smtp.port, SECTION)
    run = send(config, AS_OF, "--dry-run")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["  would_send    Head <head@example.com>", "  would_send    coo@example.com"]
    assert smtp.handler.messages == []


@pytest.mark.parametrize("section, message", [
    ("", "[escalation] section is missing — the digest needs to = [\"head@example.com\"]"),
    ('[escalation]\nto = ["not an address"]\n', "[escalation] to must list one or more e-mail addresses"),
    ('[escalation]\nto = ["h@example.com"]\ncc = ["x@example.com"]\n', "[escalation] unknown key 'cc'"),
])
def test_config_errors(tmp_path: Path, section: str, message: str):
    config = escalation_config(tmp_path, 2525, section)
    run = send(config, AS_OF)
    assert run.returncode == 1
    assert run.stderr.strip() == f"Error: orderdesk.toml: {message}"


def test_send_usage(tmp_path: Path):
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    run = orderdesk("escalate", "--send", str(ledger), "--as-of", AS_OF)
    assert run.returncode == 2 and "--send needs --config" in run.stderr


# ---------------------------------------------------------------- in the monthly workbook

def _report(tmp_path: Path, lang: str, *extra: str) -> Path:
    from addin.cli import main
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    out = tmp_path / f"OTD-{lang}.xlsx"
    assert main(["report", str(ledger), "--month", "2026-11", "--as-of", AS_OF, "--lang", lang, "--out", str(out),
                 *extra]) == 0
    return out


def _sheet_rows(out: Path, name: str) -> list[tuple]:
    import openpyxl
    ws = openpyxl.load_workbook(out)[name]
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_monthly_workbook_lists_the_digest_lines_in_chinese(tmp_path: Path):
    import openpyxl
    out = _report(tmp_path, "zh")
    names = openpyxl.load_workbook(out).sheetnames
    assert names.index("升级事项") == names.index("异常记录") + 1
    rows = _sheet_rows(out, "升级事项")
    assert rows[0][0] == "升级事项（截至 2026-11-23）：重大异常与逾期措施"
    assert rows[2][0] == "未交货且延误 3 天及以上的重大异常 3 项；超过完成期限的改善措施 3 项（与升级通报邮件同一清单）。"
    assert rows[3] == ("升级原因", "责任人", "问题", "原因", "措施", "期限", "逾期天数", "订单号", "行号", "客户", "料号",
                       "数量", "交期", "延误天数", "来源行")
    # the digest's lines, in its order (test_which_lines_and_why_by_hand worked them out)
    assert [r[7] for r in rows[4:]] == ["SO-1", "SO-2", "SO-6", "SO-3", "SO-5"]
    assert rows[4] == ("重大异常；措施逾期", "李", "IC-7 来料延误", "物料", "催供应商 Acme Semi", D(2026, 11, 18), 5,
                       "SO-1", "1", "ACME", "A-1", 10, D(2026, 11, 10), 13, 2)
    assert rows[5] == ("重大异常", "王", None, "未分类", None, None, None, "SO-2", "1", "ACME", "A-2", 10,
                       D(2026, 11, 19), 4, 3)
    assert rows[7][:7] == ("措施逾期", "王", "SMT 故障", "设备", "维修", D(2026, 11, 22), 1)
    assert rows[8][:7] == ("措施逾期", "赵", "改单", "客户", "确认图纸", D(2026, 11, 20), 3)
    assert rows[8][13] is None                       # not yet due: no days late


def test_monthly_workbook_escalation_in_english_and_major_days(tmp_path: Path):
    config = tmp_path / "orderdesk.toml"
    config.write_text("[otd]\nmajor_days = 5\n", encoding="utf-8")
    out = _report(tmp_path, "en", "--config", str(config))
    rows = _sheet_rows(out, "Escalation")
    assert rows[0][0] == "Escalation as of 2026-11-23: major exceptions and overdue actions"
    assert rows[2][0] == ("1 open lines 5 or more days late (major exceptions); 3 actions past their deadline "
                          "(the list the escalation digest sends).")
    assert rows[3][:7] == ("Why escalated", "Owner", "Problem", "Root cause", "Action", "Deadline",
                           "Days past deadline")
    assert [(r[0], r[7]) for r in rows[4:]] == [("Major exception; Action overdue", "SO-1"),
                                                ("Action overdue", "SO-3"), ("Action overdue", "SO-5")]


def test_monthly_workbook_with_nothing_to_escalate(tmp_path: Path):
    from addin.cli import main
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    out = tmp_path / "OTD.xlsx"
    # as of 2026-11-03: SO-4 is 2 days late (not major), SO-7 cancelled, no other deadline passed
    assert main(["report", str(ledger), "--month", "2026-11", "--as-of", "2026-11-03", "--lang", "en",
                 "--out", str(out)]) == 0
    rows = _sheet_rows(out, "Escalation")
    assert rows[2][0] == "Nothing to escalate."
    assert all(v is None for r in rows[4:] for v in r)
