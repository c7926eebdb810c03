"""Long fuzz runs. Generated ledgers (the strategies of tests/test_fuzz.py):

    python bench/fuzz.py --examples 2000 [--commands 200] [--seed N]

Prints how many ledgers were tried, how many read, and every failure (the ledger's shape and the
traceback); exit status 1 when any failed.

Mutated workbooks (tests/test_fuzz_files.py: .xlsx/.xls/.csv mutated at the zip, XML, BIFF and byte
level, each checked in a forked child so that a signal is counted, not fatal):

    python bench/fuzz.py --files 10000 [--seed N] [--command-every 10] [--keep DIR]

Prints the outcomes (ok, one-line error, and the failures: signal, hang, memory, traceback,
internal error, other exit) and the first failures; failing files are kept in --keep. Not a
test: CI runs the bounded versions in tests/.
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
    parser.add_argument("--files", type=int, default=0, help="mutated workbooks through check (0: ledgers instead)")
    parser.add_argument("--command-every", type=int, default=1,
                        help="with --files: every n-th file through the whole `check` command, the others"
                             " through the file layer (guard, parser, grid) only")
    parser.add_argument("--keep", type=Path, default=None, help="with --files: folder for the failing files")
    args = parser.parse_args()
    if args.files:
        return mutated_files(args)
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


def mutated_files(args) -> int:
    from tests.test_fuzz_files import BAD, run_fuzz
    seed_value = args.seed if args.seed is not None else int(time.time())
    folder = args.keep or Path(tempfile.mkdtemp(prefix="orderdesk-fuzz-"))
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    def progress(done: int, counts) -> None:
        if done % 500 == 0:
            bad = sum(counts[k] for k in BAD)
            print(f"  {done:,} files, {time.perf_counter() - start:,.0f} s, failures {bad}", flush=True)
    counts, failures = run_fuzz(args.files, seed_value, folder, progress, command_every=args.command_every)
    took = time.perf_counter() - start
    print(f"mutated files: {args.files:,} (seed {seed_value}, every {args.command_every}. through `check`,"
          f" the rest through guard+parser+grid) in {took:,.0f} s")
    for key in ("ok", "error", *BAD):
        print(f"  {key:<10} {counts[key]:,}")
    for key in sorted(k for k in counts if " " in k):
        print(f"    {key:<28} {counts[key]:,}")
    print(f"failures: {len(failures)} (kept in {folder})")
    for name, kind, detail in failures[:20]:
        print(f"--- {name} [{kind}]\n{detail[-1500:]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
