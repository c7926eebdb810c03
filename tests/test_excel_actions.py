"""The five buttons run through FileBook on real workbooks written here (and on the built
macro-enabled templates, VBA kept), results read back from the saved files."""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from addin.excel import actions
from addin.excel.book import FileBook, Rule, column_letter, parse_cell

# a fixed "today" (the actions use the clock): dates near a year the cn calendar has no holiday
# data for would otherwise turn a passing line into a calendar warning as the year ends
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(actions, "_today", lambda: TODAY)


def day(offset: int) -> dt.datetime:
    d = TODAY + dt.timedelta(days=offset)
    return dt.datetime(d.year, d.month, d.day)


def write_book(path: Path, sheets: dict[str, list[list]], active: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    if active:
        wb.active = wb.sheetnames.index(active)
    wb.save(path)
    return path


LEDGER = [
    ["Order tracking 订单跟踪"],          # a title row above the header: found automatically
    [],
    ["订单号", "客户", "料号", "订单数量", "承诺交期", "出货日期", "出货数量", "状态", "异常类型", "异常说明"],
    ["PO-1", "ACME", "A-100", 100, day(-40), day(-41), 100, "已出货", None, None],
    ["PO-2", "ACME", "A-100", 100, day(-35), day(-30), 100, "已出货", "缺料", "PCB来料延期"],
    ["PO-3", "Globex", "B-200", 50, day(-5), None, None, "生产中", None, "设备故障"],
    ["PO-4", "Globex", "B-200", 50, day(1), None, None, "待排产", None, None],
    ["PO-5", "Initech", "C-300", 10, day(60), None, None, "待排产", None, None],
    ["PO-6", "Initech", "C-300", 10, day(10), None, None, "已取消", None, None],
]


@pytest.fixture
def ledger(tmp_path) -> Path:
    return write_book(tmp_path / "ledger.xlsx", {"订单跟踪": LEDGER})


def test_refresh_risk_colours_writes_column_and_rules(ledger):
    book = FileBook(ledger)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages == ["Risk colours on sheet 订单跟踪, column K: overdue 1, at_risk 1, on_track 1, done 2."]
    wb = openpyxl.load_workbook(ledger)
    ws = wb["订单跟踪"]
    assert ws["K3"].value == "风险 Risk" and ws["L3"].value == "风险原因 Risk reason"
    assert [ws[f"K{r}"].value for r in range(4, 10)] == ["done", "done", "overdue", "at_risk", "on_track", "cancelled"]
    assert ws["L6"].value == "逾期5天"
    rules = {str(rng.sqref): [(r.formula[0], r.dxf.fill.fgColor.rgb) for r in rng.rules]
             for rng in ws.conditional_formatting}
    assert rules == {"A4:L9": [('("OrderDesk"<>"")*($K4="overdue")', "00F8CBAD"),   # OrderDesk's marker
                               ('("OrderDesk"<>"")*($K4="at_risk")', "00FFE699"),
                               ('("OrderDesk"<>"")*($K4="done")', "00D9D9D9")]}


def test_refresh_risk_twice_reuses_the_column(ledger):
    for _ in range(2):
        actions.run(actions.refresh_risk_colours_action, FileBook(ledger))
    ws = openpyxl.load_workbook(ledger)["订单跟踪"]
    assert ws["K3"].value == "风险 Risk" and ws["M3"].value is None
    assert len(list(ws.conditional_formatting)) == 1


def test_otd_pivot_sheet(ledger):
    book = FileBook(ledger)
    actions.run(actions.refresh_otd_pivot_action, book)
    assert book.messages == ["OTD pivot on sheet OTD: overall OTD 33.3%."]
    ws = openpyxl.load_workbook(ledger)["OTD"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    while all(r[-1] is None for r in rows):   # the sheet is as wide as its widest table
        rows = [r[:-1] for r in rows]
    rows = [r[:max((i + 1 for i, v in enumerate(r) if v is not None), default=0)] for r in rows]
    assert rows[0][0].startswith("OTD % by customer and month")
    assert rows[1][0] == "customer" and rows[1][-1] == "Total"
    pivot = rows[2:rows.index([])]
    by_customer = {r[0]: r for r in pivot}
    assert by_customer["ACME"][-1] == 0.5 and by_customer["Globex"][-1] == 0
    counts_header = rows.index(["customer", "lines", "on_time", "late", "early", "pending", "otd", "otif",
                                "avg_days_late"])
    assert rows[counts_header + 3][:5] == ["Total", 3, 1, 2, 0]


def test_otd_pivot_refresh_replaces_the_sheet(ledger):
    actions.run(actions.refresh_otd_pivot_action, FileBook(ledger))
    actions.run(actions.refresh_otd_pivot_action, FileBook(ledger))
    wb = openpyxl.load_workbook(ledger)
    assert wb.sheetnames == ["订单跟踪", "OTD"]


def test_root_cause_pareto(ledger):
    book = FileBook(ledger)
    actions.run(actions.root_cause_summary_action, book)
    assert book.messages == ["Root-cause Pareto on sheet Pareto: top cause: 物料 (1)."]
    rows = list(openpyxl.load_workbook(ledger)["Pareto"].iter_rows(values_only=True))
    assert rows[0] == ("cause", "label", "count", "share", "cumulative_share", "scope", "major", "general")
    assert [(r[0], r[2]) for r in rows[1:]] == [("material", 1), ("equipment", 1)]


ORDERS = [
    ["Order No", "Line", "Customer", "Part No", "Rev", "Qty", "Unit Price", "Currency", "Order Date", "Requested Date"],
    ["PO-9", "1", "ACME", "A-100", "B", 500, 1.10, "USD", day(0), day(60)],
    ["PO-9", "2", "ACME", "A-100", "B", 500, 1.50, "USD", day(0), day(60)],
    ["PO-9", "3", "ACME", "Z-999", "A", 10, 9.99, "USD", day(0), day(60)],
]
QUOTES = [
    ["Quote No", "Customer", "Part No", "Rev", "Break Qty", "Unit Price", "Currency", "Lead Time", "Valid Until"],
    ["Q-1", "ACME", "A-100", "B", 100, 1.20, "USD", 15, day(200)],
    ["Q-1", "ACME", "A-100", "B", 500, 1.10, "USD", 15, day(200)],
]


def test_contract_review_sheet_with_verdict_colours(tmp_path):
    path = write_book(tmp_path / "po.xlsx", {"Orders": ORDERS, "Quotes": QUOTES})
    book = FileBook(path)
    actions.run(actions.contract_review_action, book)
    assert book.messages == ["Contract review: 3 line(s) on sheet Review (pass 1, warn 1, fail 1)."]
    ws = openpyxl.load_workbook(path)["Review"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = rows[0]
    assert header[:4] == ["order_no", "line_no", "part_no", "verdict"]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [("PO-9", "1", "pass"), ("PO-9", "2", "warn"), ("PO-9", "3", "fail")]
    assert rows[2][header.index("price_reason")] == "PO 1.50 vs quote 1.10 for 500 pcs (above quote)"
    assert rows[3][header.index("quote_result")] == "fail"
    [cf] = list(ws.conditional_formatting)
    assert str(cf.sqref) == f"A2:{column_letter(len(header))}4"
    assert [r.formula[0] for r in cf.rules] == [f'("OrderDesk"<>"")*($D2="{v}")' for v in ("fail", "warn", "pass")]


def test_contract_review_without_quotes_sheet_is_a_message(tmp_path):
    path = write_book(tmp_path / "po.xlsx", {"Orders": ORDERS})
    book = FileBook(path)
    actions.run(actions.contract_review_action, book)
    assert book.messages == ["Error: po.xlsx: no Quotes sheet — name one of the sheets Quotes or 报价"]


def test_bad_cell_is_named_in_the_message(tmp_path):
    rows = [r[:] for r in ORDERS]
    rows[2][9] = "31/02/2026"
    path = write_book(tmp_path / "po.xlsx", {"Orders": rows, "Quotes": QUOTES})
    book = FileBook(path)
    actions.run(actions.contract_review_action, book)
    assert book.messages[0].startswith("Contract review: 2 line(s)")
    assert "1 row(s) skipped — fix Orders!J3: " in book.messages[0]


def test_promise_date_for_selected_line(tmp_path):
    path = write_book(tmp_path / "po.xlsx", {"Orders": ORDERS, "Quotes": QUOTES})
    book = FileBook(path, selection=("Orders", 2))
    actions.run(actions.promise_date_action, book)
    [message] = book.messages
    assert message.startswith("PO-9 (Orders row 2): promise date 20")
    assert message.endswith("earliest date the quoted lead time allows (add Stock and Capacity sheets "
                            "for a capable-to-promise date).")
    ws = openpyxl.load_workbook(path)["Orders"]
    assert ws["K1"].value == "建议承诺交期 Promise date"
    promised = ws["K2"].value
    assert isinstance(promised, dt.datetime) and promised.date().isoformat() in message
    assert ws["K3"].value is None


def test_promise_date_on_the_header_row_is_refused(tmp_path):
    path = write_book(tmp_path / "po.xlsx", {"Orders": ORDERS, "Quotes": QUOTES})
    book = FileBook(path, selection=("Orders", 1))
    actions.run(actions.promise_date_action, book)
    assert book.messages == ["Error: Orders!A1 is not an order line — select a cell in rows 2 and below"]


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"S": [["x"]]})
    book = FileBook(path)
    book.write_rows("Out", [["=HYPERLINK(\"http://x\")", 1]])
    book.save()
    ws = openpyxl.load_workbook(path)["Out"]
    assert ws["A1"].data_type == "s" and ws["A1"].value == '=HYPERLINK("http://x")'


def test_save_as_leaves_the_input_untouched(ledger, tmp_path):
    before = ledger.read_bytes()
    book = FileBook(ledger, save_as=tmp_path / "copy.xlsx")
    actions.run(actions.refresh_risk_colours_action, book)
    assert ledger.read_bytes() == before
    assert openpyxl.load_workbook(tmp_path / "copy.xlsx")["订单跟踪"]["K3"].value == "风险 Risk"


def test_actions_on_the_built_template_keep_its_vba(tmp_path):
    from addin.xlam.build import ledger_template_bytes
    path = tmp_path / "OrderLedger.xlsm"
    path.write_bytes(ledger_template_bytes())
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages[0].startswith("Risk colours on sheet Orders, column N:")
    with zipfile.ZipFile(path) as z:
        assert "xl/vbaProject.bin" in z.namelist()


@pytest.mark.parametrize("loader", ["openpyxl", "orderdesk"])
def test_kept_vba_parts_survive_their_memory_file_closing_first(tmp_path, loader):
    """openpyxl keeps an .xlsm's VBA parts in a zip in memory, written and never closed; when the
    collector closed the memory file first, that zip's finaliser raised in unrelated code (CI run
    10). The plain openpyxl load shows the hazard; ours must not have it, and must keep the VBA."""
    import openpyxl
    from addin.xlam.build import ledger_template_bytes
    from addin.files.atomic import load_openpyxl
    path = tmp_path / "OrderLedger.xlsm"
    path.write_bytes(ledger_template_bytes())
    wb = (openpyxl.load_workbook if loader == "openpyxl" else load_openpyxl)(path, keep_vba=True)
    archive = wb.vba_archive
    with zipfile.ZipFile(path) as z:
        assert archive.read("xl/vbaProject.bin") == z.read("xl/vbaProject.bin")
    archive.fp.close()   # what the collector may do first
    if loader == "openpyxl":
        with pytest.raises(ValueError, match="closed file"):
            archive.close()
        archive.fp = None
    else:
        archive.close()  # what ZipFile.__del__ then does


def test_cell_helpers():
    assert parse_cell("$AB$12") == (12, 28) and column_letter(28) == "AB" and column_letter(1) == "A"
    assert Rule('=$A1="x"', "FF0000").font is None


# ---------------------------------------------------------------- the full review, in the workbook's language

PLAN_ORDERS = [
    ["Order No", "Line", "Customer", "Part No", "Rev", "Qty", "Unit Price", "Currency", "Order Date", "Requested Date"],
    ["PO-9", "1", "ACME", "P", "B", 100, 1.10, "USD", day(0), day(40)],
    ["PO-9", "2", "ACME", "P", "B", 1000, 1.10, "USD", day(0), day(10)],
]
PLAN_QUOTES = [
    ["Quote No", "Customer", "Part No", "Rev", "Break Qty", "Unit Price", "Currency", "Lead Time", "Valid Until"],
    ["Q-1", "ACME", "P", "B", 100, 1.10, "USD", 5, day(200)],
]
PLAN_SHEETS = {
    "BOM": [["Parent", "Component", "Qty Per"], ["P", "C1", 2]],
    "Stock": [["Part No", "On Hand", "Purchase Lead Time"], ["C1", 500, 10]],
    "Capacity": [["Line", "Hours Per Day"], ["ASSY", 8]],
    "Routing": [["Part No", "Line", "Hours Per Unit"], ["P", "ASSY", 0.1]],
}


def plan_book(path: Path, **extra) -> Path:
    return write_book(path, {"Orders": PLAN_ORDERS, "Quotes": PLAN_QUOTES, **PLAN_SHEETS, **extra})


def review_sheet(path: Path) -> dict[str, dict]:
    rows = [list(r) for r in openpyxl.load_workbook(path)["Review"].iter_rows(values_only=True)]
    return {r[1]: dict(zip(rows[0], r)) for r in rows[1:]}


def test_contract_review_runs_material_and_capacity_from_the_sheets_in_chinese(tmp_path):
    path = plan_book(tmp_path / "po.xlsx", Config=[["Key", "Value"], ["report.lang", "zh"]])
    book = FileBook(path)
    actions.run(actions.contract_review_action, book)
    assert book.messages == ["合同评审：2 行，见工作表 Review（通过 1，警告 0，不通过 1）。\n"
                             "物料与产能检查依据工作表 BOM，Stock，Capacity，Routing。"]
    lines = review_sheet(path)
    # line 2 (due 11-30) queues first: 2,000 C1 against 500 on hand, 1,500 to buy in 10 working days
    assert lines["2"]["material_result"] == "fail"
    assert lines["2"]["material_reason"] == "2026-11-27 前欠料：C1 2026-12-04 到料（需采购 1500）"
    assert lines["2"]["capacity_result"] == "fail"
    assert lines["2"]["capacity_reason"] == "ASSY：2026-12-08 完工，晚于 2026-11-27；2026-11-30..2026-12-08 超负荷 52 小时"
    assert lines["1"]["material_result"] == "pass" and lines["1"]["capacity_result"] == "pass"
    assert lines["2"]["price_reason"] == "订单单价 1.10 = 报价 1.10（1000 件）"
    assert isinstance(lines["1"]["promise_date"], dt.datetime)


def test_contract_review_without_plan_sheets_runs_the_contract_checks_only(tmp_path):
    path = write_book(tmp_path / "po.xlsx", {"Orders": PLAN_ORDERS, "Quotes": PLAN_QUOTES})
    book = FileBook(path)
    actions.run(actions.contract_review_action, book)
    assert book.messages == ["Contract review: 2 line(s) on sheet Review (pass 2, warn 0, fail 0)."]
    assert "material_result" not in review_sheet(path)["1"]


def test_review_button_and_command_line_give_the_same_checks(tmp_path, capsys):
    import json
    from addin.cli import main
    path = plan_book(tmp_path / "po.xlsx")
    book = FileBook(path, save_as=tmp_path / "reviewed.xlsx")
    actions.run(actions.contract_review_action, book)
    button = review_sheet(tmp_path / "reviewed.xlsx")
    # the same rows as files, the way the command line takes them
    orders = write_book(tmp_path / "orders.xlsx", {"Orders": PLAN_ORDERS})
    quotes = write_book(tmp_path / "quotes.xlsx", {"Quotes": PLAN_QUOTES})
    bom = write_book(tmp_path / "bom.xlsx", {"BOM": PLAN_SHEETS["BOM"]})
    stock = write_book(tmp_path / "stock.xlsx", {k: PLAN_SHEETS[k] for k in ("Stock", "Capacity", "Routing")})
    status = main(["review", str(orders), "--quotes", str(quotes), "--bom", str(bom), "--stock", str(stock),
                   "--capacity", str(stock), "--as-of", TODAY.isoformat(), "--lang", "en",
                   "--format", "json", "--out", str(tmp_path / "review.xlsx")])
    out = capsys.readouterr()
    assert status == 0, out.err
    command = {line["line_no"]: line for line in json.loads(out.out)["lines"]}
    for no, line in command.items():
        assert line["verdict"] == button[no]["verdict"]
        assert {c: (v["result"], v["reason"]) for c, v in line["checks"].items()} == \
            {c: (button[no][f"{c}_result"], button[no][f"{c}_reason"]) for c in line["checks"]}
        assert line["promise_date"] == button[no]["promise_date"].date().isoformat()
    assert command["2"]["checks"]["material"]["reason"] == "short by 2026-11-27: C1 ready 2026-12-04 (1500 to buy)"


def test_messages_speak_the_users_language_without_a_config_sheet(ledger, monkeypatch):
    monkeypatch.setattr(FileBook, "ui_lang", lambda self: "zh")
    book = FileBook(ledger)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages == ["风险颜色：工作表 订单跟踪，K 列：逾期 1，有风险 1，正常 1，已完成 2。"]
    actions.run(actions.contract_review_action, book)
    assert book.messages[1] == "错误：ledger.xlsx：没有订单工作表 — 请将工作表命名为 Orders 或 订单"


def test_promise_date_plans_from_the_sheets_with_the_configured_inspection_days(tmp_path):
    dates = {}
    for days in (1, 3):
        path = plan_book(tmp_path / f"po-{days}.xlsx", Config=[["review.inspection_days", days]])
        book = FileBook(path, selection=("Orders", 2))
        actions.run(actions.promise_date_action, book)
        [message] = book.messages
        assert message.startswith("PO-9 (Orders row 2): promise date 20")
        assert " — capable to promise from stock and capacity (C1 available by 2026-11-20; ASSY finishes " in message
        dates[days] = openpyxl.load_workbook(path)["Orders"]["K2"].value
    # two more working days of outgoing inspection: the promise moves two working days on
    assert dates[3] - dates[1] in (dt.timedelta(days=2), dt.timedelta(days=4))
