"""How long the risk copy takes and how much memory it holds, against copying the file (issue 15).
Prints figures and writes bench/results_riskcopy.json; asserts nothing.

    python bench/bench_riskcopy.py                     # 200k lines and the hostile layouts, 3 reps
    python bench/bench_riskcopy.py --sizes 200k,1m --reps 3
    python bench/bench_riskcopy.py --sizes 200k --no-hostile
    python bench/bench_riskcopy.py --sizes 200k --no-hostile --read-memory-mb 1   # + the sheet parsed in parts

Each measurement is a fresh process; the parent takes its wall time and reads its peak RSS and
CPU time from ``os.wait4`` (bench/bench.py's ``measure``). Per size, in the same run:

- ``floor.zip_copy``: read every member of the ledger's zip and write it into a new zip
  (deflate) — the floor the copy is held to (issue 15: the risk copy <= 2 x this);
- ``floor.read_calamine``: python-calamine, the ledger sheet to Python lists (the read floor);
- ``copy_step``: the risk copy alone (``_write_copy`` under ``atomic_write`` with its
  validation), from the ledger's risk computed beforehand (source rows and risks, pickled):
  what ``orderdesk risk`` spends after reading; the child also reports its own peak RSS before
  and after the copy, so the copy's memory is apart from the interpreter's and the frame's;
- ``orderdesk risk``: the whole command (read, risk, copy).

Hostile layouts (issue 15's cases): a small ledger with ``<mergeCell ref="A1:XFD1048576"/>``,
the same with 1,048,576 empty styled rows, the same with 2,000,000 unused shared strings.

Inputs are the bench's ledgers (bench/bench.py ``make_ledger``, cached in bench/.cache/).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench  # noqa: E402  (bench/bench.py: the ledger generator and the fresh-process measure)

AS_OF = bench.AS_OF.isoformat()
WHOLE_PARSE = False     # --whole-parse: also run `orderdesk risk` with the sheet parsed whole (ORDERDESK_READ_PARTS=0)

ZIP_COPY = """
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as b:
    for info in a.infolist():
        item = zipfile.ZipInfo(info.filename, info.date_time)
        item.compress_type = zipfile.ZIP_DEFLATED
        with a.open(info) as f, b.open(item, "w", force_zip64=info.file_size > 0x7FFF0000) as w:
            while True:
                block = f.read(1 << 20)
                if not block:
                    break
                w.write(block)
"""

CALAMINE = """
import sys
from python_calamine import CalamineWorkbook
wb = CalamineWorkbook.from_path(sys.argv[1])
rows = wb.get_sheet_by_name(wb.sheet_names[0]).to_python()
print(len(rows))
"""

PREPARE = """
import sys, pickle, datetime as dt
from addin.readers import read
from addin.compute.risk import assess_risk
result = read(sys.argv[1], kind="ledger")
risk = assess_risk(result.data, dt.date.fromisoformat(sys.argv[3]))
frame = result.data[["source_row"]].join(risk[["risk"]])
with open(sys.argv[2], "wb") as f:
    pickle.dump({"path": sys.argv[1], "sheet": result.sheet, "header_row": result.header_row, "frame": frame}, f)
"""

COPY_STEP = """
import sys, json, pickle, resource, time
from pathlib import Path
from types import SimpleNamespace
from addin.files.atomic import atomic_write
from addin.writers.riskcopy import _Targets, _validate_copy, _write_copy
with open(sys.argv[1], "rb") as f:
    job = pickle.load(f)
result = SimpleNamespace(path=job["path"], sheet=job["sheet"], header_row=job["header_row"])
targets = _Targets.of(job["frame"], job["frame"]["risk"], job["header_row"])   # as write_risk_copy makes them
del job["frame"]
usage = resource.getrusage(resource.RUSAGE_SELF)
before, cpu0 = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
t0 = time.perf_counter()
atomic_write(Path(sys.argv[2]), lambda tmp: _write_copy(Path(job["path"]), tmp, result, targets, "zh", None),
             _validate_copy, inputs=[Path(job["path"])])
seconds = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_SELF)
after, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime - cpu0
print(json.dumps({"copy_s": seconds, "copy_cpu_s": cpu, "rss_before_mib": before, "rss_peak_mib": after}))
"""


def script(name: str, text: str) -> list[str]:
    path = bench.CACHE / f"riskcopy_{name}.py"
    bench.CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(f"import sys\nsys.path.insert(0, {str(bench.ROOT)!r})\n" + text, encoding="utf-8")
    return [bench.PY, str(path)]


def copy_step(job: Path, out: Path, reps: int) -> dict:
    """The copy step ``reps`` times, with the child's own figures (its stdout) kept."""
    import statistics
    import subprocess
    import time
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        proc = subprocess.run(script("copy_step", COPY_STEP) + [str(job), str(out)], capture_output=True, text=True,
                              cwd=str(bench.ROOT), timeout=bench.TIMEOUT)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"copy step failed:\n{proc.stderr}")
        runs.append({"wall_s": wall, **json.loads(proc.stdout.strip().splitlines()[-1])})
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    return {"median_s": med("wall_s"), "copy_median_s": med("copy_s"), "copy_cpu_median_s": med("copy_cpu_s"), "copy_min_s": min(r["copy_s"] for r in runs),
            "copy_max_s": max(r["copy_s"] for r in runs), "rss_before_mib": med("rss_before_mib"),
            "rss_peak_mib": max(r["rss_peak_mib"] for r in runs),
            "copy_rss_mib": max(r["rss_peak_mib"] - r["rss_before_mib"] for r in runs), "reps": reps}


def measure_ledger(name: str, ledger: Path, work: Path, reps: int, whole: bool = True) -> dict:
    print(f"-- {name}: {ledger.name} ({ledger.stat().st_size / 2**20:,.1f} MB)", flush=True)
    out: dict = {"file_mb": ledger.stat().st_size / 2**20}
    with zipfile.ZipFile(ledger) as zf:
        out["xml_mb"] = sum(i.file_size for i in zf.infolist()) / 2**20
    out["floor.zip_copy"] = bench.measure(script("zip_copy", ZIP_COPY) + [str(ledger), str(work / "floor.xlsx")], reps)
    print(f"   floor.zip_copy      {out['floor.zip_copy']['median_s']:8.2f} s"
          f" (CPU {out['floor.zip_copy']['cpu_median_s']:.2f} s)", flush=True)
    out["floor.read_calamine"] = bench.measure(script("calamine", CALAMINE) + [str(ledger)], reps)
    print(f"   floor.read_calamine {out['floor.read_calamine']['median_s']:8.2f} s", flush=True)
    job = work / f"{name}.pickle"
    prep = bench.measure(script("prepare", PREPARE) + [str(ledger), str(job), AS_OF], 1)
    if prep["exit"] != [0]:
        out["copy_step"] = {"error": "the ledger could not be read"}
    else:
        out["copy_step"] = copy_step(job, work / "copy.xlsx", reps)
        print(f"   copy_step           {out['copy_step']['copy_median_s']:8.2f} s"
              f" (CPU {out['copy_step']['copy_cpu_median_s']:.2f} s), own peak "
              f"{out['copy_step']['copy_rss_mib']:.0f} MiB over {out['copy_step']['rss_before_mib']:.0f}", flush=True)
    if whole:
        # --no-cache: every run reads the file (without it the 2nd and 3rd runs answer from the
        # parsed-input cache, a smaller peak than a first run's)
        risk = bench.orderdesk("risk", str(ledger), "--out", str(work / "risk.xlsx"), "--as-of", AS_OF, "-q",
                               "--no-cache")
        out["orderdesk risk"] = bench.measure(risk, reps)
        r = out["orderdesk risk"]
        print(f"   orderdesk risk      {r['median_s']:8.2f} s (CPU {r['cpu_median_s']:.2f} s), peak"
              f" {r['peak_rss_mib']:.0f} MiB, exit {r['exit']}", flush=True)
        if WHOLE_PARSE:
            # the sheet parsed whole on one thread, as before issue 19's parts became the default
            # (addin/readers/grid.py _parts_to_ipc)
            os.environ["ORDERDESK_READ_PARTS"] = "0"
            try:
                out["orderdesk risk (whole parse)"] = bench.measure(risk, reps)
            finally:
                del os.environ["ORDERDESK_READ_PARTS"]
            r = out["orderdesk risk (whole parse)"]
            print(f"   orderdesk risk, sheet parsed whole {r['median_s']:8.2f} s (CPU {r['cpu_median_s']:.2f} s),"
                  f" peak {r['peak_rss_mib']:.0f} MiB, exit {r['exit']}", flush=True)
    floor = out["floor.zip_copy"]["median_s"]
    if "copy_median_s" in out["copy_step"]:
        out["copy_over_zip_copy"] = out["copy_step"]["copy_median_s"] / floor
        # CPU: the zip copy's process is the copy itself plus a bare interpreter start
        out["copy_cpu_over_zip_copy_cpu"] = out["copy_step"]["copy_cpu_median_s"] / out["floor.zip_copy"]["cpu_median_s"]
    if whole:
        out["risk_over_zip_copy"] = out["orderdesk risk"]["median_s"] / floor
        out["risk_over_read_plus_copy"] = out["orderdesk risk"]["median_s"] / (
            floor + out["floor.read_calamine"]["median_s"])
    return out


# ------------------------------------------------------------------ hostile inputs

def small_ledger(path: Path) -> Path:
    """20 lines, written by XlsxWriter (shared strings, as Excel writes them)."""
    import datetime as dt

    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("订单")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["订单号", "客户", "料号", "订单数量", "承诺交期", "实际出货日期", "状态"])
    for i in range(20):
        ws.write_row(i + 1, 0, [f"PO-{i}", "ACME", "A-1", 100])
        ws.write_datetime(i + 1, 4, dt.datetime(2026, 11, 1 + i), date)
        ws.write_string(i + 1, 6, "生产中")
    wb.close()
    return path


def _rewrite(path: Path, member: str, change) -> Path:
    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as b:
        for info in a.infolist():
            data = a.read(info)
            b.writestr(info, change(data) if info.filename == member else data)
    tmp.replace(path)
    return path


def hostile_inputs() -> dict[str, Path]:
    out = {}
    path = bench.CACHE / "hostile_merge_v2.xlsx"
    if not path.exists():
        _rewrite(small_ledger(path), "xl/worksheets/sheet1.xml", lambda d: d.replace(
            b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'))
    out["whole-sheet merge"] = path
    path = bench.CACHE / "hostile_empty_rows_v2.xlsx"
    if not path.exists():
        rows = b"".join(b'<row r="%d" s="1" customFormat="1" ht="15" customHeight="1"/>' % r
                        for r in range(22, 1_048_577))
        _rewrite(small_ledger(path), "xl/worksheets/sheet1.xml", lambda d: d.replace(b"</sheetData>",
                                                                                     rows + b"</sheetData>"))
    out["1,048,576 styled empty rows"] = path
    path = bench.CACHE / "hostile_strings_v2.xlsx"
    if not path.exists():
        def strings(d: bytes) -> bytes:
            extra = b"".join(b"<si><t>unused string %d</t></si>" % i for i in range(2_000_000))
            d = d.replace(b"</sst>", extra + b"</sst>")
            return d
        _rewrite(small_ledger(path), "xl/sharedStrings.xml", strings)
    out["2,000,000 shared strings"] = path
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="200k")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-hostile", action="store_true")
    parser.add_argument("--json", default=str(HERE / "results_riskcopy.json"))
    parser.add_argument("--make-hostile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--whole-parse", action="store_true",
                        help="also run orderdesk risk with the sheet parsed whole (ORDERDESK_READ_PARTS=0)")
    args = parser.parse_args(argv)
    global WHOLE_PARSE
    WHOLE_PARSE = args.whole_parse
    if args.make_hostile:
        hostile_inputs()
        return 0
    results: dict = {"machine": bench.machine(), "sizes": {}, "hostile": {}}
    with tempfile.TemporaryDirectory(prefix="bench-riskcopy-") as tmp:
        work = Path(tmp)
        for size in args.sizes.split(","):
            n = bench.parse_size(size)
            ledger = bench.make_ledger(n)
            results["sizes"][bench.label(n)] = measure_ledger(bench.label(n), ledger, work, args.reps)
        if not args.no_hostile:
            # made in a child: a child's peak RSS starts at its parent's (Linux), so this
            # process stays small
            import subprocess
            subprocess.run([bench.PY, __file__, "--make-hostile"], check=True)
            for name, path in hostile_inputs().items():
                results["hostile"][name] = measure_ledger(name, path, work, args.reps)
    Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print()
    print(f"{'input':30} {'zip copy s':>10} {'copy s':>7} {'ratio':>6} {'CPU ratio':>9} {'copy MiB':>8}"
          f" {'risk s':>7} {'risk MiB':>8}")
    for name, r in [*results["sizes"].items(), *results["hostile"].items()]:
        step = r["copy_step"]
        nan = float("nan")
        print(f"{name:30} {r['floor.zip_copy']['median_s']:10.2f} {step.get('copy_median_s', nan):7.2f}"
              f" {r.get('copy_over_zip_copy', nan):6.2f} {r.get('copy_cpu_over_zip_copy_cpu', nan):9.2f}"
              f" {step.get('copy_rss_mib', nan):8.0f} {r['orderdesk risk']['median_s']:7.2f}"
              f" {r['orderdesk risk']['peak_rss_mib']:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
