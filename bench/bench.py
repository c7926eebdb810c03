"""OrderDesk performance bench (issue 7): whole-process timings of the `orderdesk` commands
against the floors measured in the same run on the same files.

    python bench/bench.py [--sizes 10k,100k,1m] [--reps 3] [--naive-max 100k] [--out bench/results.json]

The commands run with ``--no-cache`` (every run parses the file: the first-run figures), then
``otd``, ``check`` and ``report`` again with the parsed-input cache warm (a temporary cache folder).
Every measurement is a fresh subprocess; wall time from the parent, peak RSS from
``os.wait4`` (that child only). Inputs are generated once and cached under ``bench/.cache/``.
A script, not a test: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
GEN_VERSION = 1            # bump when the generator changes, so cached files are rebuilt
AS_OF = dt.date(2026, 11, 20)
REPORT_MONTH = "2026-10"
EPOCH = dt.date(1899, 12, 30)

CUSTOMERS = ["ACME Electronics", "Beta Robotics", "星河智能", "蓝海医疗", "Nordic Audio", "深圳华讯通信",
             "Helios Medical GmbH", "东莞精密模具", "Pacific Power Systems", "苏州汇川控制"]
TIERS = "AABACABBCA"
PARTS = [(f"PCBA-{1000 + i}", "ABC"[i % 3], d, p) for i, (d, p) in enumerate([
    ("主控板 Main board", 85.0), ("电源板 Power board", 42.5), ("传感器板 Sensor board", 23.8),
    ("整机 Finished unit", 560.0), ("线束 Cable harness", 12.6), ("显示模组 Display module", 131.0),
    ("通信板 Comms board", 64.2), ("驱动板 Motor driver", 77.9), ("接口板 I/O board", 18.4),
    ("电池包 Battery pack", 240.0)] * 30)]
OWNERS = ["张敏", "李娜", "王强", "Zhang Min", "Li Na", "Wang Qiang", "陈静", "Chen Jing"]
STATUS = [("已出货", "Shipped"), ("已完成", "Closed"), ("生产中", "In Production"), ("待排产", "Open"),
          ("已取消", "Cancelled")]
CAUSES = [("物料", "PCB来料延期3天"), ("Material", "IC shortage, supplier pushed delivery"),
          ("品质", "首件不良，返工"), ("Equipment", "SMT placement machine breakdown"),
          ("产能", "插单导致排产延后"), ("Customer", "Customer changed the order quantity"),
          ("物流", "台风天气，物流延误"), ("工艺", "技术资料未确认")]
TOP = ["订单号", "行号", "客户名称", "客户等级", "料号", "版本", "品名", "订单数量", "单价", "币种",
       "订单日期", "交期", None, None, "实际出货日期", "出货数量", "订单状态", "跟单员", "入库", None,
       "异常类型", "异常说明"]
SUB = [None] * 11 + ["客户交期", "首次承诺交期", "承诺交期", None, None, None, None, "计划入库日期",
                     "实际入库日期", None, None]


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


# --- inputs ---------------------------------------------------------------------------------

def ledger_path(n: int) -> Path:
    return CACHE / f"ledger_{label(n)}_v{GEN_VERSION}.xlsx"


def make_ledger(n: int) -> Path:
    """A ledger of ``n`` lines laid out as a coordinator keeps it: title row, two-row header,
    22 columns of Chinese and English text, real dates, a few text dates, quantities as text,
    bare serials, blank rows between months, two bad lines and a total row."""
    path = ledger_path(n)
    if path.exists():
        return path
    import xlsxwriter
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.xlsx")
    rnd = random.Random(7 + n)
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("订单跟踪")
    dfmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ws.write_string(0, 0, f"{AS_OF.year}年客户订单跟踪表（跟单部） Customer order ledger")
    for c, t in enumerate(TOP):       # merged-down cells: text in the upper row only
        if t:
            ws.write_string(1, c, t, head)
    for c, t in enumerate(SUB):
        if t:
            ws.write_string(2, c, t, head)
    start = (dt.date(2024, 12, 1) - EPOCH).days
    span = (AS_OF - dt.date(2024, 12, 1)).days
    as_of = (AS_OF - EPOCH).days
    row, line, k = 3, 0, 0
    ws_s, ws_n = ws.write_string, ws.write_number
    while line < n:
        k += 1
        od = start + (line * span) // n + rnd.randint(0, 3)
        ci = rnd.randrange(len(CUSTOMERS))
        en = rnd.random() < 0.4
        order = f"PO{k:07d}"
        for ln in range(1, rnd.choice((1, 1, 2, 3, 4)) + 1):
            if line >= n:
                break
            if line and line % 997 == 0:
                row += 1                      # a blank row a coordinator left
            part, rev, desc, price = PARTS[rnd.randrange(len(PARTS))]
            qty = rnd.choice((200, 500, 1000, 1200, 2000, 3000, 5000))
            req = od + rnd.randint(21, 45)
            first = req + rnd.choice((0, 0, 0, 2, 5))
            prom = first + rnd.choice((0, 0, 0, 0, 0, 0, 3, 7))
            roll = rnd.random()
            ship = prom - rnd.randint(0, 2) if roll < 0.7 else prom + rnd.randint(1, 9) if roll < 0.88 \
                else prom - rnd.randint(4, 8)
            late = ship > prom
            st = 4 if rnd.random() < 0.03 else 0 if ship <= as_of else (2 if od < as_of - 10 else 3)
            if st == 0 and rnd.random() < 0.25:
                st = 1
            ws_s(row, 0, order)
            ws_n(row, 1, ln)
            ws_s(row, 2, CUSTOMERS[ci])
            ws_s(row, 3, TIERS[ci])
            ws_s(row, 4, part)
            ws_s(row, 5, rev)
            ws_s(row, 6, desc)
            if line % 211 == 7:
                ws_s(row, 7, f"{qty:.3f}")                       # '1200.000' stored as text
            else:
                ws_n(row, 7, qty)
            ws_n(row, 8, price)
            ws_s(row, 9, "USD" if ci == 4 else "CNY")
            ws_n(row, 10, od, dfmt)
            r = line % 173
            if r == 5:
                d = EPOCH + dt.timedelta(days=req)
                ws_s(row, 11, f"{d.month}月{d.day}")              # no year: from the order date
            elif r == 17:
                d = EPOCH + dt.timedelta(days=req)
                ws_s(row, 11, f"{d:%Y/%m/%d}" if not en else f"{d:%d-%b-%y}")
            elif r == 29:
                ws_n(row, 11, req)                                # a bare serial
            else:
                ws_n(row, 11, req, dfmt)
            ws_n(row, 12, first, dfmt)
            ws_n(row, 13, prom, dfmt)
            if st in (0, 1):
                ws_n(row, 14, ship, dfmt)
                ws_n(row, 15, qty if rnd.random() > 0.05 else qty // 2)
            ws_s(row, 16, STATUS[st][en])
            ws_s(row, 17, OWNERS[ci % len(OWNERS)])
            ws_n(row, 18, prom - 2, dfmt)
            if st in (0, 1):
                ws_n(row, 19, ship - 1, dfmt)
            if late or (st in (2, 3) and prom < as_of):
                t, note = CAUSES[rnd.randrange(len(CAUSES))]
                ws_s(row, 20, t)
                ws_s(row, 21, note)
            row += 1
            line += 1
    # two lines with mistakes and the total row
    ws_s(row, 0, "PO9999998"); ws_n(row, 1, 1); ws_s(row, 2, "ACME Electronics"); ws_s(row, 4, "PCBA-1000")
    ws_n(row, 7, 300); ws_s(row, 11, "31/02/2026"); ws_s(row, 16, "待排产")
    row += 1
    ws_s(row, 0, "PO9999999"); ws_n(row, 1, 1); ws_s(row, 2, "Beta Robotics"); ws_s(row, 4, "PCBA-1004")
    ws_s(row, 7, "一千"); ws_n(row, 11, as_of + 30, dfmt); ws_s(row, 16, "Open")
    row += 2
    ws_s(row, 0, "合计")
    ws.write_formula(row, 7, f"=SUM(H4:H{row})", None, 0)
    wb.close()
    tmp.replace(path)
    return path


def make_review_inputs() -> dict[str, Path]:
    """1,000 PO lines, 20,000 quote rows (price breaks), a 3-level BOM for every quoted part."""
    paths = {k: CACHE / f"review_{k}_v{GEN_VERSION}.xlsx" for k in ("po", "quotes", "bom")}
    if all(p.exists() for p in paths.values()):
        return paths
    import xlsxwriter
    CACHE.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(11)
    dfmt_of = {}

    def book(path: Path, sheet: str, headers: list[str]):
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
        ws = wb.add_worksheet(sheet)
        dfmt_of[id(ws)] = wb.add_format({"num_format": "yyyy-mm-dd"})
        for c, h in enumerate(headers):
            ws.write_string(0, c, h)
        return wb, ws

    def write(ws, r: int, row: tuple) -> None:
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_number(r, c, (v - EPOCH).days, dfmt_of[id(ws)])
            elif isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)

    n_parts = 2000
    parts = [f"FG-{i:05d}" for i in range(n_parts)]
    wb, ws = book(paths["quotes"], "报价 Quotes", ["报价单号", "客户名称", "料号", "版本", "阶梯数量", "单价", "币种",
                                                  "交期天数", "MOQ", "MOQ费", "模具费", "生效日期", "有效期至"])
    r = 1
    for q in range(5000):                       # 5,000 quotes x 4 price breaks = 20,000 rows
        part = parts[q % n_parts]
        cust = CUSTOMERS[q % len(CUSTOMERS)]
        price = round(rnd.uniform(5, 500), 2)
        for brk, f in ((100, 1.08), (500, 1.0), (2000, 0.95), (5000, 0.92)):
            write(ws, r, (f"Q26-{q:05d}", cust, part, "A", brk, round(price * f, 2), "CNY", rnd.choice((15, 20, 25)),
                          100, 500.0, 0.0, dt.date(2026, 1, 1), dt.date(2027, 6, 30)))
            r += 1
    wb.close()
    wb, ws = book(paths["po"], "新订单 New POs", ["订单号", "行号", "客户名称", "料号", "版本", "订单数量", "单价",
                                                  "币种", "订单日期", "客户交期"])
    for i in range(1000):
        q = rnd.randrange(5000)
        write(ws, i + 1, (f"PO-N{i // 3:05d}", i % 3 + 1, CUSTOMERS[q % len(CUSTOMERS)], parts[q % n_parts], "A",
                          rnd.choice((200, 500, 1000, 3000)), round(rnd.uniform(5, 500), 2), "CNY",
                          dt.date(2026, 11, 18), dt.date(2027, 1, 15) + dt.timedelta(days=rnd.randint(0, 60))))
    wb.close()
    wb, ws = book(paths["bom"], "BOM", ["父件料号 Parent", "子件料号 Component", "用量 Qty Per", "描述 Description"])
    r = 1
    for i, part in enumerate(parts):            # level 1 -> 2 sub-assemblies -> 3 components each
        for s in range(2):
            sub = f"SA-{i:05d}-{s}"
            write(ws, r, (part, sub, 1, "子件 Sub-assembly"))
            r += 1
            for c in range(3):
                write(ws, r, (sub, f"C-{(i * 7 + s * 3 + c) % 5000:05d}", rnd.choice((1, 2, 4, 10)), "元件 Component"))
                r += 1
    wb.close()
    return paths


# --- measuring ------------------------------------------------------------------------------

def run_once(argv: list[str], timeout: float) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS MiB, exit status, CPU seconds user+system) of one fresh process.
    CPU time is reported too: on a machine shared with other jobs wall time is noisy."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=str(ROOT))
    deadline = t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return float("nan"), float("nan"), -9, float("nan")
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0,) and err:
        print(f"    ! exit {code}: {err.strip().splitlines()[-1][:200]}", file=sys.stderr)
    return wall, usage.ru_maxrss / 1024.0, code, usage.ru_utime + usage.ru_stime


TIMEOUT = 900.0


def measure(argv: list[str], reps: int, timeout: float | None = None) -> dict:
    runs = []
    for _ in range(reps):
        runs.append(run_once(argv, timeout or TIMEOUT))
        if runs[-1][2] == -9:          # timed out: once is enough to know
            break
    secs = [r[0] for r in runs]
    cpu = [r[3] for r in runs]
    return {"median_s": statistics.median(secs), "min_s": min(secs), "max_s": max(secs),
            "cpu_median_s": statistics.median(cpu), "cpu_min_s": min(cpu), "cpu_max_s": max(cpu),
            "peak_rss_mib": max(r[1] for r in runs), "exit": [r[2] for r in runs], "reps": reps}


PY = sys.executable
SCRIPTS = {
    "calamine_to_python": """
import sys
from python_calamine import CalamineWorkbook
wb = CalamineWorkbook.from_path(sys.argv[1])
rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
print(len(rows))
""",
    "fastexcel_arrow": """
import sys, fastexcel
sheet = fastexcel.read_excel(sys.argv[1]).load_sheet(0, header_row=None)
batch = sheet.to_arrow()
print(batch.num_rows)
""",
    "fastexcel_pandas": """
import sys, fastexcel
sheet = fastexcel.read_excel(sys.argv[1]).load_sheet(0, header_row=None)
print(len(sheet.to_pandas()))
""",
    # orderdesk's own parse of the sheet (issue 19 item 3): in parts on threads (the default), and
    # whole on one thread (ORDERDESK_READ_PARTS=0); the batch written to an Arrow file as the
    # forked parser does
    "orderdesk_parse": """
import os, sys, tempfile
from pathlib import Path
from addin.files.guard import inspect_input
from addin.readers import grid
p = Path(sys.argv[1])
sheet = inspect_input(p, deep=False).sheets[0]
fd, ipc = tempfile.mkstemp(suffix=".arrow")
os.close(fd)
try:
    grid._fastexcel_to_ipc(p, sheet.name, ipc, sheet.part if sys.argv[2] == "parts" else None)
finally:
    os.unlink(ipc)
""",
    "naive_pandas_openpyxl_read": """
import sys, pandas as pd
df = pd.read_excel(sys.argv[1], engine="openpyxl", header=2)
print(len(df))
""",
    "naive_pandas_openpyxl_read_write": """
import sys, pandas as pd
df = pd.read_excel(sys.argv[1], engine="openpyxl", header=2)
df.to_excel(sys.argv[2], index=False)
""",
    # the write floor: the cells of the report, already in memory as Python values
    # ({sheet: rows}), written out with nothing else (no formats, formulas, charts, tables)
    "xlsxwriter_constant_memory": """
import sys, pickle, xlsxwriter
sheets = pickle.load(open(sys.argv[1], "rb"))
wb = xlsxwriter.Workbook(sys.argv[2], {"constant_memory": True, "strings_to_formulas": False})
date = wb.add_format({"num_format": "yyyy-mm-dd"})
for name, rows in sheets.items():
    ws = wb.add_worksheet(name)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                ws.write(r, c, v, date if hasattr(v, "year") else None)
wb.close()
""",
    "rustpy_xlsxwriter": """
import sys, pickle
from rustpy_xlsxwriter import write_worksheets
sheets = pickle.load(open(sys.argv[1], "rb"))
books = []
for name, rows in sheets.items():
    width = max((len(r) for r in rows), default=0)
    keys = [f"c{i}" for i in range(width)]   # written as the header row, in place of row 1
    books.append((name, [dict(zip(keys, r)) for r in rows[1:]] or [dict.fromkeys(keys)]))
write_worksheets(books, sys.argv[2])
""",
}


def report_cells_pickle(report: Path) -> Path:
    """Every cell of the report the command wrote ({sheet: rows}, values as a reader sees them),
    the input of the write floors: the same cells, written by the fastest writers."""
    import pickle
    from python_calamine import CalamineWorkbook
    book = CalamineWorkbook.from_path(str(report))
    sheets = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        sheets[name] = [[None if v == "" else v for v in r] for r in rows]
    out = report.with_suffix(".cells.pkl")
    with open(out, "wb") as fh:
        pickle.dump(sheets, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return out


def script(name: str) -> list[str]:
    path = CACHE / f"floor_{name}.py"
    path.write_text(SCRIPTS[name], encoding="utf-8")
    return [PY, str(path)]


def orderdesk(*args: str) -> list[str]:
    return [PY, "-c", "import sys; from addin.cli import main; sys.exit(main(sys.argv[1:]))", *args]


def has_module(name: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(name) is not None


def has_command(name: str) -> bool:
    return has_module(f"addin.commands.{name}")


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    ram = None
    if Path("/proc/meminfo").exists():
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = round(kb / 1024 / 1024, 1)
    from importlib.metadata import PackageNotFoundError, version
    pkgs = {}
    for p in ("pandas", "numpy", "pyarrow", "fastexcel", "python-calamine", "openpyxl", "xlsxwriter",
              "rustpy-xlsxwriter", "click", "orderdesk"):
        try:
            pkgs[p] = version(p)
        except PackageNotFoundError:
            pkgs[p] = None
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": ram, "python": platform.python_version(),
            "platform": platform.platform(), "packages": pkgs, "loadavg_at_start": load,
            "date": dt.datetime.now().isoformat(timespec="seconds")}


# --- the run ------------------------------------------------------------------------------

def bench_size(n: int, reps: int, naive_max: int, out_dir: Path) -> dict:
    ledger = make_ledger(n)
    res: dict[str, dict] = {}
    notes: list[str] = []
    slow_reps = reps if n < 100_000 else 1      # the naive script takes minutes from 100k lines

    def do(name: str, argv: list[str], r: int = reps) -> None:
        print(f"  {label(n):>5} {name:<34}", end="", flush=True)
        res[name] = measure(argv, r)
        m = res[name]
        print(f" {m['median_s']:8.2f} s  [{m['min_s']:.2f}-{m['max_s']:.2f}]  cpu {m['cpu_median_s']:7.2f} s"
              f"  {m['peak_rss_mib']:7.0f} MiB"
              f"{'' if set(m['exit']) <= {0} else '  exit ' + str(m['exit'])}")

    # floors: the fastest raw read of the same file
    do("read.calamine_to_python", script("calamine_to_python") + [str(ledger)])
    if has_module("fastexcel") and has_module("pyarrow"):
        do("read.fastexcel_arrow", script("fastexcel_arrow") + [str(ledger)])
        if n < 1_000_000:   # never the fastest (it is the Arrow read plus a conversion)
            do("read.fastexcel_pandas", script("fastexcel_pandas") + [str(ledger)])
    do("read.orderdesk_parts", script("orderdesk_parse") + [str(ledger), "parts"])
    do("read.orderdesk_whole", script("orderdesk_parse") + [str(ledger), "whole"])
    # the commands
    # the commands: first runs (--no-cache: the file parsed every time), then with the cache
    check = orderdesk("check", str(ledger), "--kind", "ledger", "--quiet")
    otd = orderdesk("otd", str(ledger), "--as-of", AS_OF.isoformat(), "--by", "customer,month")
    do("orderdesk check", check + ["--no-cache"])
    do("orderdesk otd", otd + ["--no-cache"])
    do("orderdesk otd (whole parse)", ["env", "ORDERDESK_READ_PARTS=0"] + otd + ["--no-cache"])
    report_out = out_dir / f"report_{label(n)}.xlsx"
    report = orderdesk("report", str(ledger), "--month", REPORT_MONTH, "--as-of", AS_OF.isoformat(),
                       "--out", str(report_out))
    if has_command("report"):
        do("orderdesk report", report + ["--no-cache"])
    else:
        notes.append("orderdesk report: skipped, the command does not exist yet")
    run_once(otd, TIMEOUT)          # writes the cache entry (ORDERDESK_CACHE_DIR: a folder of this run)
    do("orderdesk otd (cached)", otd)
    do("orderdesk check (cached)", check)
    if has_command("report"):
        do("orderdesk report (cached)", report)
    # floors: the fastest write of the cells the report wrote (every sheet, read back from its
    # output), made in a child process: a parent grown by reading them would be counted in the
    # peak RSS of every process it starts afterwards (fork copies it before exec)
    if report_out.exists():
        subprocess.run([PY, "-c", f"import sys; sys.path.insert(0, {str(HERE)!r}); from pathlib import Path; "
                        f"import bench; bench.report_cells_pickle(Path({str(report_out)!r}))"], check=True)
        cells = report_out.with_suffix(".cells.pkl")
        do("write.xlsxwriter_cm_report_cells", script("xlsxwriter_constant_memory") + [str(cells), str(out_dir / "w1.xlsx")])
        if has_module("rustpy_xlsxwriter"):
            do("write.rustpy_xlsxwriter_report_cells", script("rustpy_xlsxwriter") + [str(cells), str(out_dir / "w2.xlsx")])
    # the naive script
    if n <= naive_max:
        do("naive.pandas_openpyxl_read", script("naive_pandas_openpyxl_read") + [str(ledger)], slow_reps)
        do("naive.pandas_openpyxl_read_write", script("naive_pandas_openpyxl_read_write")
           + [str(ledger), str(out_dir / "naive.xlsx")], slow_reps)
    else:
        notes.append(f"naive pandas+openpyxl: not run above {label(naive_max)} lines (--naive-max); "
                     f"ratio extrapolated linearly from the largest size run")
    return {"lines": n, "file": ledger.name, "file_mib": round(ledger.stat().st_size / 2**20, 1),
            "results": res, "notes": notes}


def ratios(size: dict) -> dict:
    """Ratios of medians, wall (``name``) and CPU (``name_cpu``: on a shared machine the CPU
    time is the steadier figure)."""
    r = size["results"]
    out: dict = {}
    for suffix, key in (("", "median_s"), ("_cpu", "cpu_median_s")):
        def med(k: str) -> float | None:
            return r[k][key] if k in r else None

        reads = [v for v in (med("read.calamine_to_python"), med("read.fastexcel_arrow"),
                             med("read.fastexcel_pandas")) if v is not None]
        writes = [v for v in (med("write.xlsxwriter_cm_report_cells"), med("write.rustpy_xlsxwriter_report_cells"))
                  if v is not None]
        if not reads:
            continue
        floor_read = min(reads)
        out["floor_read_s" + suffix] = floor_read
        out["floor_write_report_cells_s" + suffix] = min(writes) if writes else None
        if med("orderdesk otd"):
            out["otd_over_floor_read" + suffix] = med("orderdesk otd") / floor_read
            if med("naive.pandas_openpyxl_read"):
                out["naive_read_over_otd" + suffix] = med("naive.pandas_openpyxl_read") / med("orderdesk otd")
        if med("read.orderdesk_parts"):
            out["floor_read_over_parts_parse" + suffix] = floor_read / med("read.orderdesk_parts")
        if med("orderdesk otd (whole parse)"):
            out["otd_whole_parse_over_floor_read" + suffix] = med("orderdesk otd (whole parse)") / floor_read
        if med("orderdesk otd (cached)"):
            out["otd_cached_over_floor_read" + suffix] = med("orderdesk otd (cached)") / floor_read
        if med("orderdesk check"):
            out["check_over_floor_read" + suffix] = med("orderdesk check") / floor_read
        if med("orderdesk report") and writes:
            out["report_over_floor_read_write" + suffix] = med("orderdesk report") / (floor_read + min(writes))
    return out


def fixed_benches(reps: int) -> dict:
    res: dict[str, dict] = {}
    notes: list[str] = []
    print("  --help / UDF / review")
    res["orderdesk --help"] = measure(orderdesk("--help"), max(reps, 5))
    print(f"        orderdesk --help {res['orderdesk --help']['median_s']:.3f} s")
    if has_module("addin.excel.udfs"):
        # in-process timing of one UDF call over 100,000 rows (what Excel waits for)
        code = r"""
import datetime as dt, json, random, statistics, time
from addin.excel import udfs
rnd = random.Random(3)
base = dt.datetime(2026, 1, 1)
due = [(base + dt.timedelta(days=rnd.randint(0, 330)),) for _ in range(100_000)]
ship = [((base + dt.timedelta(days=rnd.randint(0, 340))) if rnd.random() < .7 else None,) for _ in range(100_000)]
status = [(rnd.choice(["已出货", "生产中", "Open", "Shipped", "待排产"]),) for _ in range(100_000)]
fn = udfs.OD_RISK   # what Excel calls: the guarded function (errors as cells, GC paused)
times = []
for _ in range(5):
    t = time.perf_counter(); out = fn(due, ship, status, dt.datetime(2026, 11, 20)); times.append(time.perf_counter() - t)
assert len(out) >= 100_000, out[:2]
print(json.dumps(times))
"""
        proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=str(ROOT))
        if proc.returncode == 0:
            times = json.loads(proc.stdout.strip().splitlines()[-1])
            res["udf OD_RISK 100k rows (in-process)"] = {"median_s": statistics.median(times), "min_s": min(times),
                                                         "max_s": max(times), "reps": len(times)}
            print(f"        OD_RISK 100k rows {statistics.median(times):.3f} s")
        else:
            notes.append("UDF: failed — " + (proc.stderr.strip().splitlines() or ["?"])[-1][:200])
    else:
        notes.append("UDF: skipped, addin.excel.udfs is absent")
    if has_command("review"):
        p = make_review_inputs()
        with tempfile.TemporaryDirectory() as tmp:
            argv = orderdesk("review", str(p["po"]), "--quotes", str(p["quotes"]), "--bom", str(p["bom"]),
                             "--as-of", AS_OF.isoformat(), "--out", str(Path(tmp) / "review.xlsx"), "--quiet")
            res["orderdesk review 1k PO x 20k quotes, 3-level BOM"] = measure(argv, reps)
            m = res["orderdesk review 1k PO x 20k quotes, 3-level BOM"]
            print(f"        review {m['median_s']:.2f} s {m['exit']}")
    else:
        notes.append("orderdesk review: skipped, the command does not exist")
    return {"results": res, "notes": notes}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k,1m")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--big-reps", type=int, default=1, help="repetitions at 1M lines and more (minutes each)")
    ap.add_argument("--naive-max", default="100k", help="largest size the naive pandas+openpyxl script runs on")
    ap.add_argument("--out", default=str(HERE / "results.json"))
    ap.add_argument("--no-fixed", action="store_true", help="skip --help, the UDF and review")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds before one run is killed")
    ap.add_argument("--merge", metavar="JSON", help="add the sizes of an earlier results file (e.g. a 1M run "
                                                    "made separately) to this one's table and JSON")
    args = ap.parse_args(argv)
    global TIMEOUT
    TIMEOUT = args.timeout
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    info = machine()
    print(f"{info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB, Python {info['python']}, "
          f"load {info['loadavg_at_start']}")
    out: dict = {"command": " ".join(["python", "bench/bench.py"] + (argv if argv is not None else sys.argv[1:])),
                 "machine": info, "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ORDERDESK_CACHE_DIR"] = str(Path(tmp) / "cache")   # never the user's cache folder
        for n in sizes:
            t = time.perf_counter()
            make_ledger(n)
            print(f"ledger {label(n)}: {ledger_path(n).name} ({time.perf_counter() - t:.1f} s to make or find)")
            reps = args.reps if n < 1_000_000 else min(args.reps, args.big_reps)
            out["sizes"][label(n)] = s = bench_size(n, reps, parse_size(args.naive_max), Path(tmp))
            s["ratios"] = ratios(s)
    if args.merge:
        other = json.loads(Path(args.merge).read_text(encoding="utf-8"))
        for k, v in other["sizes"].items():
            v["from"] = {"command": other["command"], "machine": other["machine"]}
            out["sizes"].setdefault(k, v)
    extrapolate_naive(out)
    if not args.no_fixed:
        out["fixed"] = fixed_benches(args.reps)
    out["machine"]["loadavg_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    print_table(out)
    Path(args.out).write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"written {args.out}")
    return 0


def extrapolate_naive(out: dict) -> None:
    """The naive script beyond --naive-max: linear in lines, from the largest size it ran on
    (wall and CPU medians)."""
    ran = [k for k, v in out["sizes"].items() if "naive.pandas_openpyxl_read" in v["results"]]
    if not ran:
        return
    base = out["sizes"][max(ran, key=lambda k: out["sizes"][k]["lines"])]
    naive = base["results"]["naive.pandas_openpyxl_read"]
    for v in out["sizes"].values():
        otd = v["results"].get("orderdesk otd")
        if "naive.pandas_openpyxl_read" in v["results"] or otd is None:
            continue
        scale = v["lines"] / base["lines"]
        v["ratios"]["naive_read_over_otd_extrapolated"] = naive["median_s"] * scale / otd["median_s"]
        v["ratios"]["naive_read_over_otd_extrapolated_cpu"] = naive["cpu_median_s"] * scale / otd["cpu_median_s"]


def print_table(out: dict) -> None:
    print()
    print(f"{'size':>5}  {'measurement':<40} {'median s':>9} {'spread s':>15} {'peak MiB':>9}")
    for k, v in out["sizes"].items():
        for name, m in v["results"].items():
            print(f"{k:>5}  {name:<40} {m['median_s']:9.2f} {m['min_s']:7.2f}-{m['max_s']:<7.2f} "
                  f"{m['peak_rss_mib']:9.0f}")
        for name, val in v["ratios"].items():
            if val is not None:
                print(f"{k:>5}  {'ratio ' + name:<40} {val:9.2f}")
        for note in v["notes"]:
            print(f"{k:>5}  note: {note}")
    for name, m in out.get("fixed", {}).get("results", {}).items():
        print(f"{'':>5}  {name:<40} {m['median_s']:9.3f} {m['min_s']:7.3f}-{m['max_s']:<7.3f} "
              f"{m.get('peak_rss_mib', float('nan')):9.0f}")
    for note in out.get("fixed", {}).get("notes", []):
        print(f"       note: {note}")


if __name__ == "__main__":
    sys.exit(main())
