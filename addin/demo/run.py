"""The demo: sample workbooks in, every OrderDesk output out (SPEC section 6, `orderdesk demo`)."""
from __future__ import annotations

import contextlib
import io
import json
from typing import Callable
from pathlib import Path

from addin.demo import samples, workbooks
from addin.readers import read
from addin.files.atomic import atomic_write


Command = Callable[[list[str]], None]


def run(out_dir: Path, command: Command, *, lang: str | None = None) -> list[tuple[str, Path]]:
    """Write the samples and the outputs into ``out_dir``; return (what, path) pairs.

    ``command`` runs one ``orderdesk`` command line in-process (the front end passes its own
    command group, so the demo takes the same code paths as a user and never imports the CLI)."""
    def _command(args: list[str], *, quiet: bool = False) -> None:
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
            command(args)

    out_dir.mkdir(parents=True, exist_ok=True)
    inputs = _write_samples(out_dir)
    outputs: list[tuple[str, Path]] = [("sample", p) for p in inputs]
    checks = {}
    for path in inputs:
        result = read(path)
        checks[path.name] = {"kind": result.kind, "sheet": result.sheet, "header_row": result.header_row,
                             "rows": result.rows.as_dict(), "issues": [i.as_dict() for i in result.issues]}
    check_file = out_dir / "checks.json"
    text = json.dumps(checks, ensure_ascii=False, indent=1, default=str)
    atomic_write(check_file, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    outputs.append(("check", check_file))
    t = {p.name: str(p) for p in inputs}
    ledger = t["sample_ledger_zh.xlsx" if lang == "zh" else "sample_ledger_en.xlsx"]
    as_of = samples.AS_OF.isoformat()
    # the same code paths as the command line, in-process
    _command(["review", t["sample_new_pos.xlsx"], "--quotes", t["sample_quotes.xlsx"], "--bom", t["sample_bom.xlsx"],
              "--stock", t["sample_stock.xlsx"], "--history", ledger, "--as-of", as_of,
              "--out", str(out_dir / "review.xlsx"), "--reviewer", "Demo", *_lang(lang)], quiet=True)
    outputs.append(("review", out_dir / "review.xlsx"))
    month = f"{samples.AS_OF.year}-{samples.AS_OF.month - 1:02d}" if samples.AS_OF.month > 1 else f"{samples.AS_OF.year - 1}-12"
    # the monthly workbook from each sample ledger, each in its own language unless one is asked for
    for ledger_lang in ("en", "zh"):
        source = t[f"sample_ledger_{ledger_lang}.xlsx"]
        report = out_dir / (f"OTD-{month}.xlsx" if ledger_lang == "en" else f"OTD-{month}-zh.xlsx")
        _command(["report", source, "--month", month, "--as-of", as_of, "--out", str(report),
                  "--lang", lang or ledger_lang], quiet=True)
        outputs.append(("report", report))
    risk = out_dir / Path(ledger).name.replace(".xlsx", "-risk.xlsx")
    _command(["risk", ledger, "--as-of", as_of, "--out", str(risk)], quiet=True)
    outputs.append(("risk", risk))
    return outputs


def _write_samples(out_dir: Path) -> list[Path]:
    """The samples are written into a hidden staging folder, then each moved into ``out_dir``
    atomically (previous file kept as a backup, refused while open in Excel)."""
    import shutil
    import tempfile
    staging = Path(tempfile.mkdtemp(prefix=".~orderdesk-demo-", dir=out_dir))
    try:
        written = workbooks.write_all(staging)
        return [atomic_write(out_dir / p.name, lambda tmp, src=p: shutil.copyfile(src, tmp)) for p in written]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _lang(lang: str | None) -> list[str]:
    return ["--lang", lang] if lang else []

