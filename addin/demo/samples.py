"""Sample and template workbooks, generated from a fixed seed so they can be rebuilt and
committed (``python -m addin.demo.workbooks workbook_templates``). They are laid out the way real
hand-kept workbooks are: a title row, a merged two-row header, a few text dates, blank rows,
a total row, and one or two lines with mistakes for the data-quality sheet to show."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

SEED = 20261120
AS_OF = dt.date(2026, 11, 20)          # the date the samples describe; the demo measures at it
FIXED_TIME = dt.datetime(2026, 11, 20, 8, 0, 0)

CUSTOMERS = [("ACME Electronics", "A"), ("Beta Robotics", "B"), ("星河智能", "A"), ("蓝海医疗", "A"),
             ("Nordic Audio", "C")]
OWNERS = {"zh": ["张敏", "李娜", "王强"], "en": ["Zhang Min", "Li Na", "Wang Qiang"]}
PARTS = [  # part, revision, description, unit price (CNY), line, hours per unit
    ("PCBA-1001", "B", "主控板 Main board", 85.0, "SMT-1", 0.020),
    ("PCBA-1002", "A", "电源板 Power board", 42.5, "SMT-1", 0.012),
    ("PCBA-2001", "C", "传感器板 Sensor board", 23.8, "SMT-2", 0.008),
    ("BOX-3001", "A", "整机 Finished unit", 560.0, "ASSY-1", 0.250),
    ("CAB-4001", "B", "线束 Cable harness", 12.6, "ASSY-1", 0.005),
]
CAUSES = [  # exception type (zh, en), note (zh, en)
    (("物料", "Material"), ("PCB来料延期3天", "PCB arrived 3 days late from supplier")),
    (("物料", "Material"), ("IC缺料，供应商交期推迟", "IC shortage, supplier pushed delivery")),
    (("品质", "Quality"), ("首件不良，返工", "First article failed, rework")),
    (("设备", "Equipment"), ("SMT贴片机故障", "SMT placement machine breakdown")),
    (("产能", "Capacity"), ("插单导致排产延后", "Rush order pushed the schedule")),
    (("客户", "Customer"), ("客户改单，变更数量", "Customer changed the order quantity")),
    (("物流", "Logistics"), ("台风天气，物流延误", "Typhoon delayed the truck")),
    (("工艺", "Engineering"), ("技术资料未确认", "Drawings not confirmed")),
]
STATUS = {"zh": {"open": "待排产", "in_progress": "生产中", "shipped": "已出货", "closed": "已完成",
                 "cancelled": "已取消"},
          "en": {"open": "Open", "in_progress": "In Production", "shipped": "Shipped", "closed": "Closed",
                 "cancelled": "Cancelled"}}


@dataclass
class Line:
    order_no: str
    line_no: int
    customer: str
    tier: str
    part_no: str
    revision: str
    description: str
    qty: int
    unit_price: float
    order_date: dt.date
    requested: dt.date
    first_promised: dt.date
    promised: dt.date
    ship_date: dt.date | None
    shipped_qty: int | None
    status: str
    owner: int
    cause: int | None
    planned_warehouse: dt.date
    actual_warehouse: dt.date | None


def ledger_lines(seed: int = SEED, n_orders: int = 260) -> list[Line]:
    rnd = random.Random(seed)
    start = dt.date(2025, 11, 3)
    lines: list[Line] = []
    for k in range(n_orders):
        order_date = start + dt.timedelta(days=int(k * 380 / n_orders) + rnd.randint(0, 3))
        cust, tier = rnd.choice(CUSTOMERS)
        owner = CUSTOMERS.index((cust, tier)) % 3
        for ln in range(1, rnd.choice([1, 1, 2, 2, 3]) + 1):
            part, rev, desc, price, _, _ = rnd.choice(PARTS)
            qty = rnd.choice([200, 500, 1000, 1200, 2000, 3000, 5000]) if price < 100 else rnd.choice([50, 100, 200])
            requested = order_date + dt.timedelta(days=rnd.randint(21, 45))
            first = requested + dt.timedelta(days=rnd.choice([0, 0, 0, 2, 5]))
            promised = first + dt.timedelta(days=rnd.choice([0] * 8 + [3, 7]))
            roll = rnd.random()
            cause = None
            if roll < 0.70:
                ship = promised - dt.timedelta(days=rnd.randint(0, 2))
            elif roll < 0.88:
                ship = promised + dt.timedelta(days=rnd.choice([1, 1, 2, 3, 4, 6, 9]))
                cause = rnd.randrange(len(CAUSES))
            else:
                ship = promised - dt.timedelta(days=rnd.randint(4, 8))
            cancelled = rnd.random() < 0.03
            status, shipped_qty, ship_date = "shipped", qty, ship
            if rnd.random() < 0.05:
                shipped_qty = int(qty * rnd.choice([0.5, 0.8, 0.9]))
            if cancelled:
                status, ship_date, shipped_qty, cause = "cancelled", None, None, None
            elif ship > AS_OF:
                ship_date, shipped_qty = None, None
                status = "in_progress" if order_date < AS_OF - dt.timedelta(days=10) else "open"
                if promised < AS_OF:
                    cause = rnd.randrange(len(CAUSES))
            elif rnd.random() < 0.25:
                status = "closed"
            planned_wh = promised - dt.timedelta(days=2)
            actual_wh = None if ship_date is None else ship_date - dt.timedelta(days=1)
            lines.append(Line(f"PO{order_date:%y%m}{k:04d}", ln, cust, tier, part, rev, desc, qty, price,
                              order_date, requested, first, promised, ship_date, shipped_qty, status, owner,
                              cause, planned_wh, actual_wh))
    return lines


HEADERS = {
    "zh": {"title": "{year}年客户订单跟踪表（跟单部）",
           "top": ["订单号", "行号", "客户名称", "客户等级", "料号", "版本", "品名", "订单数量", "单价", "币种",
                   "订单日期", "交期", None, None, "实际出货日期", "出货数量", "订单状态", "跟单员",
                   "入库", None, "异常类型", "异常说明"],
           "sub": [None] * 11 + ["客户交期", "首次承诺交期", "承诺交期", None, None, None, None,
                                 "计划入库日期", "实际入库日期", None, None]},
    "en": {"title": "Customer order ledger {year} — order desk",
           "top": ["PO No", "Line", "Customer", "Customer Tier", "Part Number", "Rev", "Description",
                   "Order Qty", "Unit Price", "Currency", "PO Date", "Delivery dates", None, None,
                   "Actual Ship Date", "Shipped Qty", "Status", "Owner", "Warehouse", None,
                   "Delay Reason", "Remarks"],
           "sub": [None] * 11 + ["Requested Date", "Original Promise Date", "Promised Date", None, None, None,
                                 None, "Planned Warehouse Date", "Actual Warehouse Date", None, None]},
}


def book(path: Path) -> xlsxwriter.Workbook:
    from addin.writers.xlsx import Workbook  # closes what a failed close leaves open
    wb = Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    wb.set_properties({"created": FIXED_TIME, "author": "OrderDesk samples"})
    return wb


def write_ledger(path: Path, lang: str = "zh", *, lines: list[Line] | None = None, empty: bool = False) -> Path:
    """The order ledger as a coordinator keeps it (or, with ``empty``, a blank template)."""
    lines = [] if empty else (lines if lines is not None else ledger_lines())
    h = HEADERS[lang]
    wb = book(path)
    ws = wb.add_worksheet("订单跟踪" if lang == "zh" else "Orders")
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
                          "valign": "vcenter", "text_wrap": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_string(0, 0, h["title"].format(year=AS_OF.year))
    ws.set_row(0, 24, title)
    top, sub = h["top"], h["sub"]
    # merged two-row header: group cells over their sub-headers, the rest merged down
    c = 0
    while c < len(top):
        if sub[c] is None:
            ws.merge_range(1, c, 2, c, top[c], head)
            c += 1
            continue
        span = 1
        while c + span < len(top) and top[c + span] is None and sub[c + span] is not None:
            span += 1
        ws.merge_range(1, c, 1, c + span - 1, top[c], head)
        for j in range(span):
            ws.write_string(2, c + j, sub[c + j], head)
        c += span
    ws.set_row(1, 20)
    ws.set_row(2, 30)
    ws.set_column(0, 0, 13)
    ws.set_column(2, 2, 16)
    ws.set_column(4, 6, 12)
    ws.set_column(10, 14, 12, date_fmt)
    ws.set_column(15, 17, 10)
    ws.set_column(18, 19, 12, date_fmt)
    ws.set_column(20, 21, 24)
    ws.freeze_panes(3, 2)
    rnd = random.Random(SEED + 1)
    row = 3
    for i, ln in enumerate(lines):
        if i and i % 97 == 0:       # blank rows a coordinator left between months
            row += 1
        cause = CAUSES[ln.cause] if ln.cause is not None else None
        li = 0 if lang == "zh" else 1
        ws.write_string(row, 0, ln.order_no)
        ws.write_number(row, 1, ln.line_no)
        ws.write_string(row, 2, ln.customer)
        ws.write_string(row, 3, ln.tier)
        ws.write_string(row, 4, ln.part_no)
        ws.write_string(row, 5, ln.revision)
        ws.write_string(row, 6, ln.description)
        if i % 53 == 7:
            ws.write_string(row, 7, f"{ln.qty:.3f}")        # quantity stored as text, '4.000' style
        else:
            ws.write_number(row, 7, ln.qty)
        ws.write_number(row, 8, ln.unit_price)
        ws.write_string(row, 9, "CNY")
        write_date(ws, row, 10, ln.order_date, date_fmt)
        if lang == "zh" and i % 41 == 5:
            ws.write_string(row, 11, f"{ln.requested.month}月{ln.requested.day}")   # text date, no year
        elif i % 37 == 3:
            ws.write_string(row, 11, f"{ln.requested:%Y/%m/%d}" if lang == "zh" else f"{ln.requested:%d-%b-%y}")
        elif i % 43 == 9:
            ws.write_number(row, 11, (ln.requested - dt.date(1899, 12, 30)).days)   # a bare serial
        else:
            write_date(ws, row, 11, ln.requested, date_fmt)
        write_date(ws, row, 12, ln.first_promised, date_fmt)
        write_date(ws, row, 13, ln.promised, date_fmt)
        write_date(ws, row, 14, ln.ship_date, date_fmt)
        if ln.shipped_qty is not None:
            ws.write_number(row, 15, ln.shipped_qty)
        ws.write_string(row, 16, STATUS[lang][ln.status])
        ws.write_string(row, 17, OWNERS[lang][ln.owner])
        write_date(ws, row, 18, ln.planned_warehouse, date_fmt)
        write_date(ws, row, 19, ln.actual_warehouse, date_fmt)
        if cause:
            ws.write_string(row, 20, cause[0][li])
            ws.write_string(row, 21, cause[1][li])
        row += 1
    if lines:
        # two lines with mistakes, as real ledgers have, for the data-quality sheet
        ws.write_string(row, 0, "PO2611" + "9998")
        ws.write_number(row, 1, 1)
        ws.write_string(row, 2, "ACME Electronics")
        ws.write_string(row, 4, "PCBA-1001")
        ws.write_number(row, 7, 300)
        ws.write_string(row, 11, "31/02/2026")
        ws.write_string(row, 16, STATUS[lang]["open"])
        row += 1
        ws.write_string(row, 0, "PO2611" + "9999")
        ws.write_number(row, 1, 1)
        ws.write_string(row, 2, "Beta Robotics")
        ws.write_string(row, 4, "CAB-4001")
        ws.write_string(row, 7, "一千" if lang == "zh" else "one thousand")
        write_date(ws, row, 11, AS_OF + dt.timedelta(days=30), date_fmt)
        ws.write_string(row, 16, STATUS[lang]["open"])
        row += 2
        total_fmt = wb.add_format({"bold": True, "top": 1})
        ws.write_string(row, 0, "合计" if lang == "zh" else "Total", total_fmt)
        ws.write_formula(row, 7, f"=SUM(H4:H{row})", total_fmt, sum(ln.qty for ln in lines))
    wb.close()
    return path


def write_date(ws, row: int, col: int, value: dt.date | None, fmt) -> None:
    if value is not None:
        ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), fmt)
