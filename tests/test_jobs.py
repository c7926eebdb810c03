"""One product behind every front end (issue 11): the buttons (through FileBook on real
workbooks) and the command line run the same jobs with the same settings — the button reading
them from the workbook's Config sheet, the command line from orderdesk.toml — and give the same
figures."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from addin.cli import main
from addin.config import load_settings
from addin.errors import ConfigError
from addin.excel import actions
from addin.excel.book import FileBook
from tests.test_excel_actions import write_book

TODAY = dt.date(2026, 11, 20)   # a Friday


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(actions, "_today", lambda: TODAY)


def day(offset: int) -> dt.datetime:
    d = TODAY + dt.timedelta(days=offset)
    return dt.datetime(d.year, d.month, d.day)


LEDGER = [
    ["订单号", "客户", "料号", "订单数量", "承诺交期", "出货日期", "出货数量", "状态"],
    ["PO-1", "ACME", "A-100", 100, day(-20), day(-17), 100, "已出货"],   # 3 days late: on time for ACME (5)
    ["PO-2", "ACME", "A-100", 100, day(-10), day(-10), 100, "已出货"],
    ["PO-3", "Globex", "B-200", 50, day(-12), day(-11), 50, "已出货"],   # 1 day late: Globex has no tolerance
    ["PO-4", "Globex", "B-200", 50, day(-3), None, None, "生产中"],      # overdue
    ["PO-5", "Initech", "C-300", 10, day(6), None, None, "待排产"],      # Thu 11-26: 4 working days on
    ["PO-6", "Initech", "C-300", 10, day(1), None, None, "待排产"],      # at risk with any horizon
    ["PO-7", "Initech", "C-300", 10, day(60), None, None, "待排产"],
]
CONFIG_SHEET = [["Key", "Value", "Note"],
                ["# the same keys as orderdesk.toml", None, None],
                ["otd.customers.ACME.late_tolerance", 5, "ACME accepts 5 days"],
                ["otd.risk_horizon", 5, None],
                ["otd.early_tolerance", None, "empty: the default"]]
TOML = """
[otd]
risk_horizon = 5

[otd.customers.ACME]
late_tolerance = 5
"""


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    book = write_book(tmp_path / "ledger.xlsx", {"订单跟踪": LEDGER, "Config": CONFIG_SHEET})
    toml = tmp_path / "orderdesk.toml"
    toml.write_text(TOML, encoding="utf-8")
    return book, toml


def cli(capsys, *args: str) -> str:
    status = main(list(args))
    out = capsys.readouterr()
    assert status == 0, out.err
    return out.out


def otd_sheet_counts(path: Path) -> dict[str, tuple]:
    """The OTD sheet's counts table (below the pivot): customer -> (lines, on_time, late, early, pending, otd)."""
    rows = [list(r) for r in openpyxl.load_workbook(path)["OTD"].iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[:2] == ["customer", "lines"] and "on_time" in r)
    return {r[0]: tuple(r[1:7]) for r in rows[start + 1:] if r[0] is not None}


def test_otd_button_and_command_line_give_the_same_figures(files, capsys):
    book_path, toml = files
    book = FileBook(book_path)
    actions.run(actions.refresh_otd_pivot_action, book)
    assert book.messages == ["OTD pivot on sheet OTD: overall OTD 50.0%."]
    button = otd_sheet_counts(book_path)

    figures = json.loads(cli(capsys, "otd", str(book_path), "--sheet", "订单跟踪", "--config", str(toml),
                             "--by", "customer", "--as-of", TODAY.isoformat(), "--format", "json"))
    command = {g["customer"]: (g["lines"], g["on_time"], g["late"], g["early"], g["pending"], g["otd"])
               for g in figures["groups"]}
    command["Total"] = tuple(figures["total"][k] for k in ("lines", "on_time", "late", "early", "pending", "otd"))
    assert button == command
    # the per-customer tolerance counted in both: ACME's 3-day-late line is on time
    assert button["ACME"] == (2, 2, 0, 0, 0, 1.0) and button["Globex"] == (2, 0, 2, 0, 0, 0.0)

    # without the configuration ACME's line is late: the settings are what made the difference
    default = json.loads(cli(capsys, "otd", str(book_path), "--sheet", "订单跟踪", "--by", "customer",
                             "--as-of", TODAY.isoformat(), "--format", "json"))
    assert default["groups"][0]["customer"] == "ACME" and default["groups"][0]["otd"] == 0.5


def test_risk_button_and_command_line_use_the_configured_horizon(files, capsys, tmp_path):
    book_path, toml = files
    book = FileBook(book_path)
    actions.run(actions.refresh_risk_colours_action, book)
    # horizon 5: PO-5 (4 working days on) is at risk as well as PO-6
    assert book.messages == ["Risk colours on sheet 订单跟踪, column I: overdue 1, at_risk 2, on_track 1, done 3."]
    ws = openpyxl.load_workbook(book_path)["订单跟踪"]
    button = [ws[f"I{r}"].value for r in range(2, 9)]
    assert button == ["done", "done", "done", "overdue", "at_risk", "at_risk", "on_track"]

    out = cli(capsys, "risk", str(book_path), "--sheet", "订单跟踪", "--config", str(toml), "--lang", "en",
              "--as-of", TODAY.isoformat(), "--out", str(tmp_path / "risk.xlsx"))
    assert out == f"Wrote {tmp_path / 'risk.xlsx'}: 7 lines, 1 overdue, 2 at risk\n"
    text = cli(capsys, "otd", str(book_path), "--sheet", "订单跟踪", "--config", str(toml), "--lang", "en",
               "--as-of", TODAY.isoformat())
    assert f"Open lines at {TODAY}: 1 overdue, 2 at risk (due within 5 working days, calendar cn)" in text

    # an option given on the command line wins over the file
    out = cli(capsys, "risk", str(book_path), "--sheet", "订单跟踪", "--config", str(toml), "--lang", "en",
              "--horizon", "3", "--as-of", TODAY.isoformat(), "--out", str(tmp_path / "risk3.xlsx"))
    assert out.endswith(": 7 lines, 1 overdue, 1 at risk\n")


def test_settings_file_needs_no_ledger_or_mail_section_but_checks_what_it_has(tmp_path):
    path = tmp_path / "orderdesk.toml"
    path.write_text('[report]\nlang = "zh"\n[review]\ninspection_days = 2\n[otd]\nbasis = "requested"\n', encoding="utf-8")
    settings = load_settings(path)
    assert (settings.lang, settings.review.inspection_days, settings.otd.basis) == ("zh", 2, "requested")
    assert settings.source == "orderdesk.toml"
    path.write_text("[otd]\nrisk_horizon = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^orderdesk.toml: \[otd\] risk_horizon must be at least 0, not -1$"):
        load_settings(path)
    path.write_text("[reports]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^orderdesk.toml: unknown section \[reports\]$"):
        load_settings(path)


def test_a_bad_config_cell_is_named_in_the_message(tmp_path):
    rows = [r[:] for r in CONFIG_SHEET]
    rows[3][1] = "five"
    path = write_book(tmp_path / "ledger.xlsx", {"订单跟踪": LEDGER, "Config": rows})
    before = path.read_bytes()
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages == ["Error: ledger.xlsx, Config!B4: [otd] risk_horizon must be a whole number, "
                             "not a string ('five')"]
    assert path.read_bytes() == before
    rows = CONFIG_SHEET + [["ledger.path", "x.xlsx", None]]
    book = FileBook(write_book(tmp_path / "other.xlsx", {"订单跟踪": LEDGER, "配置": rows}))
    actions.run(actions.refresh_otd_pivot_action, book)
    assert book.messages == ["Error: other.xlsx, 配置!A6: 'ledger.path' is not a workbook setting — the workbook's "
                             "settings are otd.*, rootcause.*, report.*, review.*, filter.*"]


def test_root_cause_keywords_of_the_config_sheet_reach_the_pareto_button(tmp_path):
    ledger = [r[:] + [None] for r in LEDGER]
    ledger[0][-1] = "异常说明"
    ledger[3][-1] = ledger[4][-1] = "喷涂延期"   # PO-3, PO-4 late: no built-in keyword says which cause
    tops = {}
    for name, config in (("plain", []), ("keywords", [["rootcause.keywords.material", "喷涂延期, 外协喷涂"]])):
        book = FileBook(write_book(tmp_path / f"{name}.xlsx", {"订单跟踪": ledger, "Config": config or [["Key", "Value"]]}))
        actions.run(actions.root_cause_summary_action, book)
        tops[name] = book.messages[0]
    assert tops["keywords"] == "Root-cause Pareto on sheet Pareto: top cause: 物料 (2)."
    assert tops["plain"] == "Root-cause Pareto on sheet Pareto: top cause: 未分类 (3)."


def test_config_rows_read_as_the_file_reads_them():
    from addin.config import SettingRow, settings_from_pairs

    def row(key, value, n):
        return SettingRow(key, value, f"b.xlsx, Config!B{n}", f"b.xlsx, Config!A{n}")

    settings = settings_from_pairs([row("otd.customers.A.C.M.E. Ltd.late_tolerance", "2", 2),
                                    row("OTD.Risk_Horizon", 4.0, 3), row("otd.weight", "value", 4),
                                    row("rootcause.keywords.material", "来料延期，PCB；欠料", 5),
                                    row("otd.early_tolerance", "  ", 6)])
    assert settings.otd.customer_tolerances == {"A.C.M.E. Ltd": (2, None)}
    assert (settings.otd.risk_horizon, settings.otd.weight, settings.otd.early_tolerance) == (4, "value", None)
    assert settings.otd.cause_keywords == {"material": ("来料延期", "PCB", "欠料")}
    with pytest.raises(ConfigError, match=r"^b.xlsx, Config!A3: otd.risk_horizon is set twice \(also b.xlsx, "
                                          r"Config!A2\) — keep one row$"):
        settings_from_pairs([row("otd.risk_horizon", 1, 2), row("otd.risk_horizon", 2, 3)])
    with pytest.raises(ConfigError, match=r"^b.xlsx, Config!A2: \[otd\] unknown key 'horizon'$"):
        settings_from_pairs([row("otd.horizon", 1, 2)])
    with pytest.raises(ConfigError, match=r"^b.xlsx, Config!A2: otd.calendar is not used in a workbook — list days "
                                          r"off in the Calendar sheet$"):
        settings_from_pairs([row("otd.calendar", "factory.xlsx", 2)])
    assert settings_from_pairs([row("otd.calendar", "mon-fri", 2)]).calendar == "mon-fri"


def test_od_otd_worksheet_function_agrees_with_the_command_line(files, capsys, monkeypatch):
    """A worksheet function sees only its arguments: the SPEC defaults, as the command line
    without --config (called as Python here: on Linux xw.func leaves the function as it is)."""
    from addin.excel import udfs
    book_path, _ = files
    monkeypatch.setattr(udfs, "_today", lambda: TODAY)   # the function reads the clock for its as-of date
    rows = udfs.OD_OTD(tuple(tuple(r) for r in LEDGER), "customer")
    header, *body = rows
    spilled = {r[0]: dict(zip(header, r)) for r in body}
    figures = json.loads(cli(capsys, "otd", str(book_path), "--sheet", "订单跟踪", "--by", "customer",
                             "--as-of", TODAY.isoformat(), "--format", "json"))
    for group in figures["groups"] + [dict(figures["total"], customer="Total")]:
        cell = spilled[group["customer"]]
        assert [cell[k] for k in ("lines", "on_time", "late", "otd")] == \
            [group[k] for k in ("lines", "on_time", "late", "otd")]
    assert spilled["ACME"]["otd"] == 0.5


def test_review_command_speaks_the_configured_language(tmp_path, capsys):
    from tests.test_excel_actions import PLAN_ORDERS, PLAN_QUOTES, PLAN_SHEETS
    orders = write_book(tmp_path / "orders.xlsx", {"Orders": PLAN_ORDERS})
    quotes = write_book(tmp_path / "quotes.xlsx", {"Quotes": PLAN_QUOTES})
    bom = write_book(tmp_path / "bom.xlsx", {"BOM": PLAN_SHEETS["BOM"]})
    stock = write_book(tmp_path / "stock.xlsx", {k: PLAN_SHEETS[k] for k in ("Stock", "Capacity", "Routing")})
    toml = tmp_path / "orderdesk.toml"
    toml.write_text('[report]\nlang = "zh"\n', encoding="utf-8")
    out = cli(capsys, "review", str(orders), "--quotes", str(quotes), "--bom", str(bom), "--stock", str(stock),
              "--capacity", str(stock), "--as-of", TODAY.isoformat(), "--config", str(toml),
              "--out", str(tmp_path / "review.xlsx"))
    lines = out.splitlines()
    assert lines[0].startswith("PO-9 / 1  P  通过  承诺交期 2026-12-")
    assert lines[2] == "    material  fail  2026-11-27 前欠料：C1 2026-12-04 到料（需采购 1500）"
    assert lines[-2:] == ["通过 1 警告 0 不通过 1", f"已写入 {tmp_path / 'review.xlsx'}"]


def test_monthly_dry_run_speaks_the_configured_language(tmp_path, capsys):
    """The scheduled job's report of what it would send, in [report] lang (zh here)."""
    from tests.test_mail_support import write_config
    folder = tmp_path / "job"
    folder.mkdir()
    ledger = write_book(folder / "ledger.xlsx", {"订单跟踪": LEDGER})
    config = write_config(folder, 2525, report='lang = "zh"\n', ledger=ledger)
    config.write_text(config.read_text(encoding="utf-8") + TOML, encoding="utf-8")   # [otd] as the others
    out = cli(capsys, "monthly", "--config", str(config), "--as-of", "2026-12-01", "--dry-run")
    workbook = folder / "reports" / "OTD-2026-11.xlsx"
    assert out.splitlines()[:3] == ["2026-11 试运行：未发送任何邮件。", f"工作簿：{workbook}",
                                    "发件人：OrderDesk <reports@example.com>"]
    assert out.splitlines()[-2:] == ["  将发送        manager@example.com", "  将发送        pmc@example.com"]
    assert workbook.is_file()
