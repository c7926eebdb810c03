"""The parsed-input cache and the read floor (issue 19), measured in one run, alternating:

    python bench/bench_cache.py [--size 1m] [--reps 3]

Each repetition runs, in fresh processes and in this order: the floor (fastexcel -> Arrow, the
fastest raw read of the sheet), ``otd --no-cache``, ``check --no-cache``, ``otd`` with an empty
cache folder (the first run: it reads and writes the cache), ``otd`` again (the cache answers),
``check`` again. Medians of wall and CPU time; ratios of medians. The cache folder is a temporary
one (``ORDERDESK_CACHE_DIR``), never the user's. A script, not a test: nothing asserts on time.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (the ledger generator, the floors, run_once)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1m")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=None, help="write the figures as JSON here")
    args = ap.parse_args(argv)
    n = bench.parse_size(args.size)
    ledger = bench.make_ledger(n)
    folder = Path(tempfile.mkdtemp(prefix="orderdesk-bench-cache-"))
    os.environ["ORDERDESK_CACHE_DIR"] = str(folder)
    as_of = bench.AS_OF.isoformat()
    otd = bench.orderdesk("otd", str(ledger), "--as-of", as_of, "--by", "customer,month")
    check = bench.orderdesk("check", str(ledger), "--kind", "ledger", "--quiet")
    steps = [("floor fastexcel->arrow", bench.script("fastexcel_arrow") + [str(ledger)], False),
             ("otd --no-cache", otd + ["--no-cache"], False),
             ("check --no-cache", check + ["--no-cache"], False),
             ("otd first run (writes the cache)", otd, True),
             ("otd cached", otd, False),
             ("check cached", check, False)]
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in steps}
    print(f"{bench.label(n)} lines, {ledger.stat().st_size / 2**20:.0f} MiB, cache folder {folder}", flush=True)
    try:
        for rep in range(args.reps):
            for name, cmd, empty_first in steps:
                if empty_first:
                    shutil.rmtree(folder, ignore_errors=True)
                    folder.mkdir()
                wall, rss, code, cpu = bench.run_once(cmd, bench.TIMEOUT)
                runs[name].append((wall, cpu))
                print(f"  rep {rep + 1} {name:<34} {wall:7.2f} s  cpu {cpu:7.2f} s  {rss:6.0f} MiB"
                      f"{'' if code == 0 else f'  exit {code}'}", flush=True)
        entries = sorted(folder.glob("*.odcache"))
        size = sum(p.stat().st_size for p in entries)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    med = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in runs.items()}
    floor = med["floor fastexcel->arrow"]
    print(f"\nmedians of {args.reps} (wall / cpu), ratios to the floor's median:")
    for name, (w, c) in med.items():
        print(f"  {name:<34} {w:7.2f} s {w / floor[0]:5.2f}x   cpu {c:7.2f} s {c / floor[1]:5.2f}x")
    print(f"  check/otd (no cache): wall {med['check --no-cache'][0] / med['otd --no-cache'][0]:.2f}x")
    print(f"  cache entry: {size / 2**20:.0f} MiB")
    if args.out:
        Path(args.out).write_text(json.dumps({"lines": n, "machine": bench.machine(), "reps": args.reps,
                                              "runs": runs, "medians": med, "entry_mib": size / 2**20}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
