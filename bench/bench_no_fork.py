"""How much the Windows read path costs: `orderdesk otd` on a large ledger as it runs here (a
sheet over 32 MB of XML parsed in a forked child, with no cell-by-cell scan first) against the
same command with the fork switched off (``addin.readers.grid._CAN_ISOLATE = False``), which is
what Windows does: the guard scans every cell reference, then fastexcel parses in-process.

    python bench/bench_no_fork.py [--size 1m] [--reps 3]

Prints wall and CPU seconds (CPU includes the forked child) and peak memory per run, the
medians, and the ratio no-fork / fork. Uses the ledger bench.py generates (bench/.cache).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

RUNNER = """
import sys
import addin.readers.grid as grid
grid._CAN_ISOLATE = {isolate}
from addin.cli import main
sys.exit(main(["otd", {ledger!r}, "--as-of", "2026-10-31", "--format", "json"]))
"""


def run_once(ledger: Path, isolate: bool) -> dict:
    code = RUNNER.format(isolate=isolate, ledger=str(ledger))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"otd failed ({'fork' if isolate else 'no fork'}): {proc.stderr[-500:]}")
    rows = json.loads(proc.stdout)["rows"]   # both paths must account for the same rows
    lines = f"{rows['valid']} valid of {rows['read']}"
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_gib": after.ru_maxrss / 1024 ** 2, "lines": lines}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1m")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    from bench import ledger_path, make_ledger, parse_size
    n = parse_size(args.size)
    ledger = ledger_path(n)
    if not ledger.exists():
        make_ledger(n)
    print(f"ledger: {ledger.name} ({ledger.stat().st_size / 1e6:.0f} MB), {args.reps} runs each, alternating")
    runs: dict[str, list[dict]] = {"fork (Linux, macOS)": [], "no fork (Windows)": []}
    for rep in range(args.reps):
        for label, isolate in (("fork (Linux, macOS)", True), ("no fork (Windows)", False)):
            r = run_once(ledger, isolate)
            runs[label].append(r)
            print(f"  run {rep + 1} {label:20s} wall {r['wall']:6.1f} s  cpu {r['cpu']:6.1f} s  lines {r['lines']}")
    print(f"\n| path | wall s | CPU s |\n|---|---:|---:|")
    med = {}
    for label, rs in runs.items():
        med[label] = (statistics.median(r["wall"] for r in rs), statistics.median(r["cpu"] for r in rs))
        print(f"| {label} | {med[label][0]:.1f} | {med[label][1]:.1f} |")
    (fw, fc), (nw, nc) = med.values()
    print(f"\nno fork / fork: {nw / fw:.2f}x wall, {nc / fc:.2f}x CPU "
          f"(peak RSS of any child so far: {max(r['peak_gib'] for rs in runs.values() for r in rs):.2f} GiB)")


if __name__ == "__main__":
    main()
