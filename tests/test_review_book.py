"""The review workbook, written and reopened with openpyxl; the `orderdesk review` command end
to end on .xlsx files written here."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from addin.cli import main
from addin.compute.review import review_lines
from addin.writers.reviewbook import HEADER_ROW, write_review_book
from test_promise import AS_OF, MF, plan
from test_review import canonical, po, quote


@pytest.fixture
def frame():
    orders = canonical("ledger", [
        po(part_no="P", qty=100, requested_date="2026-03-25", customer="=HYPERLINK(\"http://x\")"),
        po(part_no="P", line_no="2", qty=50, unit_price=1.0, requested_date="2026-03-04"),
        po(part_no="P", line_no="3", qty=100, unit_price=1.2, requested_date="2026-04-30")])
    quotes = canonical("quotes", [quote(part_no="P", lead_time_days=2),
                                  quote(part_no="P", customer="=HYPERLINK(\"http://x\")", lead_time_days=2)])
    return review_lines(orders, quotes, calendar=MF, plan=plan(), as_of=AS_OF)


def test_workbook_cell_by_cell(tmp_path: Path, frame):
    out = write_review_book(tmp_path / "review.xlsx", frame, lang="en", reviewer="Li Lei",
                            review_date=dt.date(2026, 3, 2), sources=["po.xlsx", "quotes.xlsx"])
    wb = openpyxl.load_workbook(out)
    ws = wb["Review"]
    assert ws["A1"].value == "Contract review"
    assert ws["A2"].value == "Reviewer: Li Lei    Review date: 2026-03-02"
    assert ws["A3"].value == "Sources: po.xlsx, quotes.xlsx"
    assert [ws.cell(r, 1).value for r in range(4, 8)] == ["PO lines", "pass", "warn", "fail"]
    assert [ws.cell(r, 2).value for r in range(4, 8)] == [3, 1, 1, 1]
    header = [c.value for c in ws[HEADER_ROW + 1]]
    assert header[:11] == ["PO", "Line", "Customer", "Part No", "Rev", "Qty", "Unit price", "Currency",
                           "Order date", "Requested date", "Quote"]
    # the verdict and promise right after the PO, then each check, then the review record
    assert header[11:19] == ["Verdict", "Promise date", "Earliest by lead time", "Split promise",
                             "Quote result", "Quote reason", "Revision result", "Revision reason"]
    assert header[-9:] == ["Capacity result", "Capacity reason", "Reviewer", "Review date", "Sales sign-off",
                           "PMC sign-off", "Purchasing sign-off", "Engineering sign-off", "Comments"]
    col = {name: i + 1 for i, name in enumerate(header)}
    first = HEADER_ROW + 2
    # user text that looks like a formula stays text
    assert ws.cell(first, col["Customer"]).value == '=HYPERLINK("http://x")'
    assert ws.cell(first, col["Customer"]).data_type == "s"
    assert ws.cell(first, col["Qty"]).value == 100
    assert ws.cell(first, col["Order date"]).value == dt.datetime(2026, 3, 2)
    assert ws.cell(first, col["Price result"]).value == "pass"
    assert ws.cell(first + 1, col["Price result"]).value == "fail"
    assert ws.cell(first + 1, col["Price reason"]).value == "PO 1.00 vs quote 1.10 for 50 pcs (below quote)"
    assert ws.cell(first + 2, col["Price result"]).value == "warn"
    assert [ws.cell(first + i, col["Verdict"]).value for i in range(3)] == ["pass", "fail", "warn"]
    assert ws.cell(first, col["Promise date"]).value == dt.datetime(2026, 3, 23)
    assert ws.cell(first, col["Reviewer"]).value == "Li Lei"
    assert ws.cell(first, col["Review date"]).value == dt.datetime(2026, 3, 2)
    assert ws.cell(first, col["Sales sign-off"]).value is None
    # layout: frozen header, filter over the table, landscape, colours by conditional format
    assert ws.freeze_panes == f"E{HEADER_ROW + 2}"
    assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW + 1}:")
    assert ws.page_setup.orientation == "landscape"
    rules = {rule.formula[0]: rule.dxf.fill.bgColor.rgb for rng in ws.conditional_formatting for rule in rng.rules}
    assert rules == {'"pass"': "FFC6EFCE", '"warn"': "FFFFEB9C", '"fail"': "FFFFC7CE"}
    from openpyxl.utils import get_column_letter
    assert ws.column_dimensions[get_column_letter(col["Quote reason"])].width > 20   # wide enough to read
    assert ws.page_setup.paperSize == 8 and ws.page_setup.fitToWidth == 2
    assert ws.row_dimensions[first].height == 30        # two lines of a wrapped reason


def test_workbook_in_chinese(tmp_path: Path, frame):
    out = write_review_book(tmp_path / "评审.xlsx", frame, lang="zh", reviewer="张三",
                            review_date=dt.date(2026, 3, 2))
    ws = openpyxl.load_workbook(out)["合同评审"]
    header = [c.value for c in ws[HEADER_ROW + 1]]
    assert header[0] == "订单号" and "评审结论" in header and header[-5:-1] == ["业务签字", "PMC签字", "采购签字", "工程签字"]
    verdict = header.index("评审结论") + 1
    assert [ws.cell(HEADER_ROW + 2 + i, verdict).value for i in range(3)] == ["通过", "不通过", "警告"]


def test_workbook_is_written_atomically_and_refuses_inputs(tmp_path: Path, frame):
    target = tmp_path / "review.xlsx"
    target.write_bytes(b"old")
    write_review_book(target, frame, review_date=dt.date(2026, 3, 2))
    assert (tmp_path / "review.bak.xlsx").read_bytes() == b"old"
    from addin.errors import FileError
    with pytest.raises(FileError, match="is one of the input files"):
        write_review_book(target, frame, review_date=dt.date(2026, 3, 2), inputs=[target])


# ---------------------------------------------------------------------- end to end


def _sheet(wb, title, rows):
    ws = wb.create_sheet(title)
    for row in rows:
        ws.append(row)


def _inputs(folder: Path) -> dict[str, Path]:
    paths = {}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    _sheet(wb, "PO", [["PO号", "行号", "客户", "料号", "版本", "数量", "单价", "币种", "下单日期", "要求交期"],
                      ["PO-1", "1", "ACME", "P", "B", 100, 1.10, "CNY", dt.date(2026, 3, 2), dt.date(2026, 3, 25)],
                      ["PO-1", "2", "ACME", "P", "A", 50, 1.00, "CNY", dt.date(2026, 3, 2), dt.date(2026, 3, 4)]])
    wb.save(paths.setdefault("orders", folder / "po.xlsx"))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    _sheet(wb, "Quotes", [["Quote No", "Customer", "Part No", "Rev", "Break Qty", "Unit Price", "Currency",
                           "Lead Time", "MOQ", "Valid From", "Valid Until"],
                          ["Q-1", "ACME", "P", "B", 1, 1.10, "CNY", 2, 100, dt.date(2026, 1, 1), dt.date(2026, 12, 31)]])
    wb.save(paths.setdefault("quotes", folder / "quotes.xlsx"))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    _sheet(wb, "BOM", [["Parent", "Component", "Qty Per", "Scrap %", "Alternates", "DNP"],
                       ["P", "SUB", 2, None, None, None], ["P", "C3", 1, 10, None, None],
                       ["SUB", "C1", 3, None, "C1-ALT", None], ["SUB", "C2", 1, None, None, "DNP"]])
    wb.save(paths.setdefault("bom", folder / "bom.xlsx"))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    _sheet(wb, "Stock", [["Part No", "On Hand", "Safety Stock", "Allocated", "Purchase Lead Time", "Inspection Days", "MOQ"],
                         ["C1", 700, 50, 50, 5, 1, 1000], ["C1-ALT", 100, None, None, 20, None, None],
                         ["C3", 100, None, None, 10, 2, None]])
    _sheet(wb, "Open POs", [["PO No", "Part No", "Qty", "Due Date"], ["PUR-1", "C3", 20, dt.date(2026, 3, 10)]])
    _sheet(wb, "Capacity", [["Line", "Hours Per Day"], ["ASSY", 8], ["SMT", 8]])
    _sheet(wb, "Routing", [["Part No", "Line", "Hours Per Unit"], ["P", "ASSY", 0.5], ["SUB", "SMT", 0.1]])
    wb.save(paths.setdefault("stock", folder / "stock.xlsx"))
    return paths


def test_cli_end_to_end_json(tmp_path: Path, capsys):
    pytest.importorskip("addin.readers.bom")
    paths = _inputs(tmp_path)
    out = tmp_path / "review.xlsx"
    status = main(["review", str(paths["orders"]), "--quotes", str(paths["quotes"]), "--bom", str(paths["bom"]),
                   "--stock", str(paths["stock"]), "--capacity", str(paths["stock"]), "--calendar", "mon-fri",
                   "--inspection-days", "1", "--transport-days", "2", "--as-of", "2026-03-02",
                   "--lang", "en", "--reviewer", "Li Lei", "--format", "json", "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    data = json.loads(captured.out)
    assert data["summary"] == {"pass": 1, "warn": 0, "fail": 1}
    first, second = data["lines"]
    assert (first["order_no"], first["line_no"], first["part_no"]) == ("PO-1", "1", "P")
    assert set(first["checks"]) == {"quote", "revision", "price", "lead_time", "moq", "tooling",
                                    "material", "capacity"}
    # line 2 (due 03-04) queues first and takes 300 C1 and 55 C3 from stock; line 1 needs 600 C1
    # (300 + 100 alt + buy 200 -> MOQ 1000 on 03-10), C3 110 (45 + 20 on 03-10 = 65, buy 45 -> 03-18)
    assert first["checks"]["material"] == {"result": "pass", "reason": "2 components available by 2026-03-18"}
    assert first["promise_date"] == "2026-03-23"
    assert first["checks"]["capacity"] == {"result": "pass", "reason": "ASSY, SMT finishes 2026-03-13 (70 h)"}
    assert first["verdict"] == "pass" and first["split"] == [{"qty": 40, "date": "2026-03-12"}]
    assert second["verdict"] == "fail"
    assert second["checks"]["revision"] == {"result": "fail", "reason": "PO rev A vs quote rev B"}
    assert second["checks"]["moq"]["result"] == "fail"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Review"]


def test_cli_contract_only_has_no_promise(tmp_path: Path, capsys):
    pytest.importorskip("addin.readers.bom")
    paths = _inputs(tmp_path)
    status = main(["review", str(paths["orders"]), "--quotes", str(paths["quotes"]), "--as-of", "2026-03-02",
                   "--calendar", "mon-fri", "--lang", "en", "--format", "json", "--out", str(tmp_path / "r.xlsx")])
    data = json.loads(capsys.readouterr().out)
    assert status == 0
    assert data["lines"][0] == {"order_no": "PO-1", "line_no": "1", "part_no": "P", "verdict": "pass",
                                "checks": {"quote": {"result": "pass", "reason": "quote Q-1 valid 2026-01-01..2026-12-31"},
                                           "revision": {"result": "pass", "reason": "rev B"},
                                           "price": {"result": "pass", "reason": "PO 1.10 = quote 1.10 for 100 pcs"},
                                           "lead_time": {"result": "pass", "reason": "requested 2026-03-25 ≥ earliest 2026-03-04 (2 working days)"},
                                           "moq": {"result": "pass", "reason": "qty 100 ≥ MOQ 100"},
                                           "tooling": {"result": "pass", "reason": "no tooling in quote"}},
                                "promise_date": None, "split": []}


def test_cli_refuses_to_overwrite_an_input(tmp_path: Path, capsys):
    pytest.importorskip("addin.readers.bom")
    paths = _inputs(tmp_path)
    status = main(["review", str(paths["orders"]), "--quotes", str(paths["quotes"]), "--as-of", "2026-03-02",
                   "--out", str(paths["orders"])])
    assert status == 1
    assert capsys.readouterr().err == ("Error: po.xlsx is one of the input files — choose a different output "
                                       "name so the input is not overwritten\n")
