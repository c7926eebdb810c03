"""The demo: sample workbooks in, every OrderDesk output out (SPEC section 6, `orderdesk demo`)."""
from __future__ import annotations

import json
from pathlib import Path

from addin import samples
from addin.readers import read


def run(out_dir: Path, *, lang: str | None = None) -> list[tuple[str, Path]]:
    """Write the samples and the outputs into ``out_dir``; return (what, path) pairs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs = samples.write_all(out_dir)
    outputs: list[tuple[str, Path]] = [("sample", p) for p in inputs]
    checks = {}
    for path in inputs:
        result = read(path)
        checks[path.name] = {"kind": result.kind, "sheet": result.sheet, "header_row": result.header_row,
                             "rows": result.rows.as_dict(), "issues": [i.as_dict() for i in result.issues]}
    check_file = out_dir / "checks.json"
    check_file.write_text(json.dumps(checks, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    outputs.append(("check", check_file))
    return outputs
