"""A long fuzz run over generated ledgers (the strategies of tests/test_fuzz.py).

    python bench/fuzz.py --examples 2000 [--commands 200] [--seed N]

Prints how many ledgers were tried, how many read, and every failure (the ledger's shape and the
traceback); exit status 1 when any failed. Not a test: CI runs the bounded version in tests/.
"""
from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from tests.test_fuzz import (LedgerSpec, _traceback_of, check_commands, check_reader_and_engine,  # noqa: E402
                             ledgers, write_spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="ledgers through the reader and the engine")
    parser.add_argument("--commands", type=int, default=None,
                        help="ledgers through check/otd/report/risk (default: a tenth of --examples)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    args = parser.parse_args()
    commands = args.commands if args.commands is not None else max(1, args.examples // 10)

    tried: collections.Counter[str] = collections.Counter()
    failures: list[tuple[str, LedgerSpec, str]] = []

    def one(stage: str, spec: LedgerSpec) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = write_spec(spec, Path(folder))
            tried[stage] += 1
            tried[f"{stage} {spec.fmt}"] += 1
            if stage == "read":
                from addin.errors import OrderDeskError
                from addin.readers import read
                try:
                    tried["read ok"] += bool(read(path).rows.valid)
                except OrderDeskError:
                    pass
                error = _traceback_of(check_reader_and_engine, path)
            else:
                error = _traceback_of(check_commands, path, Path(folder))
            if error:
                failures.append((stage, spec, error))

    def run(stage: str, n: int) -> None:
        if n <= 0:
            return
        config = settings(max_examples=n, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
        test = settings(config)(given(spec=ledgers())(lambda spec: one(stage, spec)))
        if args.seed is not None:
            test = seed(args.seed)(test)
        test()

    start = time.perf_counter()
    run("read", args.examples)
    run("commands", commands)
    took = time.perf_counter() - start
    print(f"ledgers tried: {tried['read']} through read + OTD engine ({tried['read ok']} with valid lines), "
          f"{tried['commands']} through check/otd/report/risk, in {took:.0f} s")
    for key in sorted(k for k in tried if " " in k and not k.endswith(" ok")):
        print(f"  {key:<28} {tried[key]}")
    print(f"failures: {len(failures)}")
    for stage, spec, error in failures[:20]:
        print(f"--- {stage}: {spec.describe()}\n{error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
