"""What a file whose every row is bad costs to read, against a clean file of the same size
(issue 12 item 8: at most 1.5x).

    python bench/bench_allbad.py [--rows 100k] [--reps 3] [--formats csv,xlsx]

Two ledgers of the same shape and size are generated once into bench/.cache/: a clean one,
and one where every row is rejected — a date that is no date ('Friday, April 31, 2022',
'2026-13-45', '31/02/2026'), a quantity that is no number ('一千', '12..5'), or a required
value missing (order number, customer) — so every row makes one or more issues with their
cells and values. Each measurement is a fresh process running ``addin.readers.read`` on the
file: the read's own CPU time (what the issue creation costs) and the process's CPU and wall
time (what `orderdesk check` costs, imports included). Clean and bad runs alternate; medians
are printed with the ratio bad / clean. A script, not a test: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
GEN_VERSION = 1
HEADER = ["订单号", "行号", "客户名称", "料号", "品名", "订单数量", "订单日期", "客户交期", "实际出货日期", "订单状态"]
CUSTOMERS = ["ACME Electronics", "星河智能", "Beta Robotics", "蓝海医疗", "Nordic Audio"]
BAD_DATES = ["Friday, April 31, 2022", "2026-13-45", "31/02/2026", "2026/02/30", "Q3 2026"]
BAD_NUMBERS = ["一千", "12..5", "abc", "1,2,3x"]


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def rows(n: int, bad: bool):
    base = dt.date(2026, 1, 1)
    for i in range(n):
        order = base + dt.timedelta(days=i % 300)
        due = order + dt.timedelta(days=20 + i % 15)
        ship = due + dt.timedelta(days=(i % 7) - 3)
        row = [f"SO-{100000 + i // 3}", str(i % 3 + 1), CUSTOMERS[i % 5], f"PCBA-{1000 + i % 300}", "主控板 Main board",
               str(10 * (1 + i % 50)), order.isoformat(), due.isoformat(), ship.isoformat(), "已出货"]
        if bad:
            kind = i % 4
            if kind == 0:        # dates that are no dates, in all three date columns
                row[6] = row[7] = row[8] = BAD_DATES[i % len(BAD_DATES)]
            elif kind == 1:      # a quantity that is no number, and a due date that is no date
                row[5] = BAD_NUMBERS[i % len(BAD_NUMBERS)]
                row[7] = BAD_DATES[(i // 4) % len(BAD_DATES)]
            elif kind == 2:      # required values missing
                row[0] = ""
                row[2] = ""
            else:                # a bad number and a missing customer
                row[5] = "-" + row[5] if i % 8 == 3 else BAD_NUMBERS[i % len(BAD_NUMBERS)]
                row[2] = ""
        yield row


def generate(n: int, bad: bool, fmt: str) -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"allbad_v{GEN_VERSION}_{'bad' if bad else 'clean'}_{n}.{fmt}"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp" + path.suffix)
    if fmt == "csv":
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER)
            w.writerows(rows(n, bad))
    else:
        import xlsxwriter
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                              "strings_to_formulas": False, "strings_to_urls": False})
        ws = book.add_worksheet("订单")
        ws.write_row(0, 0, HEADER)
        for r, row in enumerate(rows(n, bad), start=1):
            ws.write_row(r, 0, row)     # every cell as text, as an export pasted into Excel holds it
        book.close()
    tmp.replace(path)
    return path


CHILD = """
import json, sys, time
from addin.readers import read
t0, c0 = time.perf_counter(), time.process_time()
res = read(sys.argv[1], "ledger")
print(json.dumps({"read_cpu": time.process_time() - c0, "read_wall": time.perf_counter() - t0,
                  "rows": res.rows.as_dict(), "issues": len(res.issues)}))
"""


def measure(path: Path) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stdout.close()
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"the read of {path.name} failed (status {status})")
    got = json.loads(out)
    return {**got, "process_cpu": usage.ru_utime + usage.ru_stime, "process_wall": wall,
            "peak_rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="100k")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--formats", default="csv,xlsx")
    args = ap.parse_args()
    n = parse_size(args.rows)
    print(f"{n:,} rows, {args.reps} runs each, alternating; medians")
    print(f"{'file':<10} {'read CPU s':>11} {'process CPU s':>14} {'wall s':>8} {'RSS MB':>7}  rows")
    for fmt in args.formats.split(","):
        files = {kind: generate(n, kind == "bad", fmt) for kind in ("clean", "bad")}
        runs: dict[str, list[dict]] = {"clean": [], "bad": []}
        for _ in range(args.reps):
            for kind in ("clean", "bad"):
                runs[kind].append(measure(files[kind]))
        med = {kind: {k: statistics.median(r[k] for r in rs) for k in ("read_cpu", "process_cpu", "process_wall",
                                                                         "peak_rss_mb")}
               for kind, rs in runs.items()}
        for kind in ("clean", "bad"):
            m, last = med[kind], runs[kind][-1]
            print(f"{fmt + ' ' + kind:<10} {m['read_cpu']:>11.2f} {m['process_cpu']:>14.2f} {m['process_wall']:>8.2f} "
                  f"{m['peak_rss_mb']:>7.0f}  {last['rows']} ({last['issues']:,} issues)")
        ratio = {k: med["bad"][k] / med["clean"][k] for k in ("read_cpu", "process_cpu", "process_wall")}
        print(f"{fmt + ' bad/clean':<10} {ratio['read_cpu']:>10.2f}x {ratio['process_cpu']:>13.2f}x "
              f"{ratio['process_wall']:>7.2f}x")


if __name__ == "__main__":
    main()
