"""Header recognition on the real header rows (../shared/data/real/headers-train.jsonl, SPEC 9):
labelled fields found and false claims, header texts alone (no values), as
tests/test_headers_real.py counts them.

    python bench/headers_real.py [-v]        # -v: list every miss and false claim

A field is found when the column chosen for it is labelled with it; a false claim is a field
chosen from a row that has no column labelled with it (a column chosen for a field it does not
mean, where the row has the field elsewhere, counts as a miss, not a claim)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from addin import schema  # noqa: E402
from addin.readers import headers, table  # noqa: E402
from test_headers_real import _rows, _wanted  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "real"


def main() -> None:
    verbose = "-v" in sys.argv
    exact = dict(table.aliases()["ledger"])
    hits = total = false = claims = wrong = 0
    for row in _rows(REAL):
        choices = headers.propose(row["headers"], schema.LEDGER, exact=exact)
        columns = {f: c.chosen.header for f, c in choices.items() if c.chosen is not None}
        wanted = _wanted(row)
        total += len(wanted)
        claims += len(columns)
        for f, hs in wanted.items():
            if columns.get(f) in hs:
                hits += 1
            else:
                wrong += f in columns
                if verbose:
                    print(f"miss  {row['id']:<36} {f:<24} want {sorted(hs)!r:<40} got {columns.get(f)!r}")
        for f, h in columns.items():
            if f not in wanted:
                false += 1
                if verbose:
                    print(f"claim {row['id']:<36} {f:<24} from {h!r}")
    print(f"found {hits} of {total} labelled fields ({hits / total:.1%}); {false} false claims of {claims} "
          f"({false / claims:.1%}); {wrong} fields taken from a column labelled otherwise")


if __name__ == "__main__":
    main()
