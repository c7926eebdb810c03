"""Sample BOM, quote book, stock/capacity workbook and a batch of new POs to review, coherent
with the sample ledger (same customers and parts). Some new PO lines fail each review check
on purpose, so the demo's review workbook shows every kind of finding."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from addin.demo.samples import AS_OF, CUSTOMERS, PARTS, Line, book, write_date

# parent, component, qty per, alternates, description, designators, scrap %, dnp
BOM = [
    ("BOX-3001", "PCBA-1001", 1, "", "主控板 Main board", "", 0, False),
    ("BOX-3001", "PCBA-1002", 1, "", "电源板 Power board", "", 0, False),
    ("BOX-3001", "CAB-4001", 2, "", "线束 Cable harness", "", 0, False),
    ("BOX-3001", "ENC-5001", 1, "", "外壳 Enclosure", "", 1, False),
    ("PCBA-1001", "IC-STM32F407", 1, "IC-GD32F407", "MCU", "U1", 0.5, False),
    ("PCBA-1001", "IC-TPS5430", 1, "", "DC-DC", "U2", 0.5, False),
    ("PCBA-1001", "CAP-0603-100N", 24, "CAP-0603-100N-S", "100nF 0603", "C1-C24", 2, False),
    ("PCBA-1001", "RES-0603-10K", 18, "", "10k 0603", "R1-R18", 2, False),
    ("PCBA-1001", "CON-USB-C", 1, "CON-USB-C-ALT", "USB-C", "J1", 0.5, False),
    ("PCBA-1001", "LED-0603-G", 1, "", "Green LED (option)", "D9", 0, True),
    ("PCBA-1001", "PCB-1001", 1, "", "Bare board", "", 1, False),
    ("PCBA-1002", "IC-TPS5430", 2, "", "DC-DC", "U1,U2", 0.5, False),
    ("PCBA-1002", "CAP-0603-100N", 12, "CAP-0603-100N-S", "100nF 0603", "C1-C12", 2, False),
    ("PCBA-1002", "PCB-1002", 1, "", "Bare board", "", 1, False),
    ("PCBA-2001", "IC-BME280", 1, "", "Sensor", "U1", 0.5, False),
    ("PCBA-2001", "CAP-0603-100N", 4, "", "100nF 0603", "C1-C4", 2, False),
    ("PCBA-2001", "PCB-2001", 1, "", "Bare board", "", 1, False),
]
# part, on hand, safety stock, allocated, purchase lead time (working days), inspection days, MOQ
STOCK = [
    ("IC-STM32F407", 14000, 200, 300, 40, 2, 500), ("IC-GD32F407", 600, 0, 0, 30, 2, 500),
    ("IC-TPS5430", 45000, 500, 1000, 25, 2, 1000), ("CAP-0603-100N", 600000, 10000, 20000, 10, 1, 10000),
    ("CAP-0603-100N-S", 40000, 0, 0, 10, 1, 10000), ("RES-0603-10K", 250000, 5000, 10000, 10, 1, 10000),
    ("CON-USB-C", 14000, 100, 0, 20, 2, 1000), ("CON-USB-C-ALT", 2000, 0, 0, 20, 2, 1000),
    ("LED-0603-G", 5000, 0, 0, 10, 1, 4000), ("PCB-1001", 14000, 0, 200, 12, 1, 500),
    ("PCB-1002", 16000, 0, 0, 12, 1, 500), ("PCB-2001", 14000, 0, 0, 12, 1, 500),
    ("IC-BME280", 14000, 50, 0, 35, 2, 250), ("CAB-4001", 600, 0, 0, 15, 1, 200),
    ("ENC-5001", 150, 0, 0, 25, 2, 100),
]
PURCHASES = [("CG2611001", "IC-STM32F407", 2000, dt.date(2026, 12, 4)),
             ("CG2611002", "PCB-1001", 2000, dt.date(2026, 11, 30)),
             ("CG2611003", "IC-BME280", 1000, dt.date(2027, 1, 8)),
             ("CG2611004", "ENC-5001", 200, dt.date(2026, 12, 11))]
CAPACITY = [("SMT-1", 2, 10), ("SMT-2", 1, 10), ("ASSY-1", 3, 8)]   # line, shifts, hours per shift


def quote_rows() -> list[tuple]:
    """One row per price break: quote no, customer, part, rev, break qty, price, currency,
    lead time (working days), MOQ, MOQ charge, tooling, valid from, valid until."""
    rows = []
    for ci, (cust, _) in enumerate(CUSTOMERS):
        for pi, (part, rev, _, price, _, _) in enumerate(PARTS):
            qno = f"Q26-{ci + 1:02d}{pi + 1:02d}"
            tooling = 3000.0 if part.startswith("BOX") else (800.0 if part == "PCBA-2001" else 0.0)
            valid_until = dt.date(2026, 6, 30) if (cust, part) == ("Nordic Audio", "PCBA-1002") else dt.date(2027, 3, 31)
            moq = 100 if price < 100 else 20
            for brk, factor in ((moq, 1.08), (500, 1.0), (2000, 0.95), (5000, 0.92)):
                if price >= 100 and brk > 500:
                    continue
                rows.append((qno, cust, part, rev, brk, round(price * factor, 2), "USD" if cust == "Nordic Audio" else "CNY",
                             15 if price < 100 else 25, moq, 500.0, tooling, dt.date(2026, 1, 1), valid_until))
    return rows


def new_po_rows() -> list[tuple]:
    """A batch of new POs to review: order no, line, customer, part, rev, qty, price, currency,
    order date, requested date, tooling charge, MOQ charge, note (what it tests)."""
    od = dt.date(2026, 11, 18)
    return [
        ("PO-N2611001", 1, "ACME Electronics", "PCBA-1001", "B", 1000, 85.0, "CNY", od, dt.date(2026, 12, 31), None, None, "all pass"),
        ("PO-N2611001", 2, "ACME Electronics", "PCBA-1002", "A", 2000, 40.38, "CNY", od, dt.date(2026, 12, 31), None, None, "price break 2000"),
        ("PO-N2611002", 1, "Beta Robotics", "PCBA-1001", "A", 500, 85.0, "CNY", od, dt.date(2026, 12, 31), None, None, "revision A vs quoted B"),
        ("PO-N2611003", 1, "星河智能", "PCBA-2001", "C", 2000, 21.0, "CNY", od, dt.date(2026, 12, 31), 800, None, "price below quote"),
        ("PO-N2611004", 1, "蓝海医疗", "CAB-4001", "B", 500, 12.6, "CNY", od, dt.date(2026, 11, 25), None, None, "lead time too short"),
        ("PO-N2611005", 1, "ACME Electronics", "PCBA-2001", "C", 60, 25.7, "CNY", od, dt.date(2026, 12, 31), 800, None, "below MOQ, no charge"),
        ("PO-N2611006", 1, "Beta Robotics", "BOX-3001", "A", 50, 604.8, "CNY", od, dt.date(2027, 1, 29), None, None, "tooling not on PO"),
        ("PO-N2611007", 1, "Nordic Audio", "PCBA-1002", "A", 1000, 42.5, "USD", od, dt.date(2026, 12, 31), None, None, "quote expired"),
        ("PO-N2611008", 1, "Nordic Audio", "PCBA-1001", "B", 500, 85.0, "CNY", od, dt.date(2026, 12, 31), None, None, "currency CNY vs USD"),
        ("PO-N2611009", 1, "ACME Electronics", "PCBA-9999", "A", 100, 10.0, "CNY", od, dt.date(2026, 12, 31), None, None, "no quote"),
        ("PO-N2611010", 1, "星河智能", "BOX-3001", "A", 1500, 604.8, "CNY", od, dt.date(2026, 12, 24), 3000, None, "material and capacity short"),
    ]


def _write_row(ws, r: int, row: tuple, date_fmt) -> None:
    """Dates as dates, text as text (never a formula), numbers as numbers; None left empty."""
    for c, v in enumerate(row):
        if v is None:
            continue
        if isinstance(v, dt.date):
            write_date(ws, r, c, v, date_fmt)
        elif isinstance(v, str):
            ws.write_string(r, c, v)
        else:
            ws.write_number(r, c, v)


def write_bom(path: Path) -> Path:
    wb = book(path)
    ws = wb.add_worksheet("BOM")
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ws.write_string(0, 0, "BOM — BOX-3001 整机 (2 levels)")
    for c, h in enumerate(["父件料号 Parent", "子件料号 Component", "用量 Qty Per", "替代料 Alternates",
                           "描述 Description", "位号 Designator", "损耗率 Scrap %", "DNP"]):
        ws.write_string(2, c, h, head)
    for r, (parent, comp, qty, alt, desc, des, scrap, dnp) in enumerate(BOM, start=3):
        ws.write_string(r, 0, parent)
        ws.write_string(r, 1, comp)
        ws.write_number(r, 2, qty)
        if alt:
            ws.write_string(r, 3, alt)
        ws.write_string(r, 4, desc)
        if des:
            ws.write_string(r, 5, des)
        ws.write_number(r, 6, scrap)
        if dnp:
            ws.write_string(r, 7, "DNP")
    ws.set_column(0, 1, 18)
    ws.set_column(3, 5, 20)
    wb.close()
    return path


def write_quotes(path: Path) -> Path:
    wb = book(path)
    ws = wb.add_worksheet("报价 Quotes")
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_string(0, 0, "报价单台账 Quote book")
    headers = ["报价单号", "客户名称", "料号", "版本", "阶梯数量", "单价", "币种", "交期天数", "MOQ",
               "MOQ费", "模具费", "生效日期", "有效期至"]
    for c, h in enumerate(headers):
        ws.write_string(1, c, h, head)
    for r, row in enumerate(quote_rows(), start=2):
        _write_row(ws, r, row, date_fmt)
    ws.set_column(0, 2, 16)
    ws.set_column(11, 12, 12)
    wb.close()
    return path


def write_stock(path: Path) -> Path:
    """Stock, open purchase lines, capacity and routing, one sheet each."""
    wb = book(path)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    sheets = [
        ("库存 Stock", ["料号", "库存数量", "安全库存", "已分配", "采购周期", "检验天数", "最小起订量"], STOCK),
        ("在途采购 Open POs", ["采购单号", "料号", "未交数量", "预计到货日期"], PURCHASES),
        ("产能 Capacity", ["产线", "班次", "每班工时"], CAPACITY),
        ("工艺路线 Routing", ["料号", "产线", "标准工时"], [(p, line, h) for p, _, _, _, line, h in PARTS]),
    ]
    for name, headers, rows in sheets:
        ws = wb.add_worksheet(name)
        for c, h in enumerate(headers):
            ws.write_string(0, c, h, head)
        for r, row in enumerate(rows, start=1):
            _write_row(ws, r, row, date_fmt)
        ws.set_column(0, len(headers) - 1, 16)
    wb.close()
    return path


def write_new_pos(path: Path) -> Path:
    wb = book(path)
    ws = wb.add_worksheet("新订单 New POs")
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    headers = ["订单号", "行号", "客户名称", "料号", "版本", "订单数量", "单价", "币种", "订单日期", "客户交期",
               "模具费", "MOQ费", "备注"]
    for c, h in enumerate(headers):
        ws.write_string(0, c, h, head)
    for r, row in enumerate(new_po_rows(), start=1):
        _write_row(ws, r, row, date_fmt)
    ws.set_column(0, 12, 14)
    wb.close()
    return path


def write_all(folder: Path, lines: list[Line]) -> list[Path]:
    return [write_bom(folder / "sample_bom.xlsx"), write_quotes(folder / "sample_quotes.xlsx"),
            write_stock(folder / "sample_stock.xlsx"), write_new_pos(folder / "sample_new_pos.xlsx")]


assert AS_OF  # the batch above is dated just before the samples' as-of date
