"""Every sample and template workbook: the customer ledgers (``samples``) and the supply side
(``supply``). ``python -m addin.demo.workbooks workbook_templates`` rewrites the committed ones."""
from __future__ import annotations

import sys
from pathlib import Path

from addin.demo import supply
from addin.demo.samples import ledger_lines, write_ledger


def write_all(folder: Path) -> list[Path]:
    """Every sample and template workbook into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ledger_lines()
    out = [write_ledger(folder / "sample_ledger_zh.xlsx", "zh", lines=lines),
           write_ledger(folder / "sample_ledger_en.xlsx", "en", lines=lines),
           write_ledger(folder / "template_ledger_zh.xlsx", "zh", empty=True),
           write_ledger(folder / "template_ledger_en.xlsx", "en", empty=True)]
    out += supply.write_all(folder, lines)
    return out


if __name__ == "__main__":  # pragma: no cover
    for p in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "workbook_templates")):
        print(p)
