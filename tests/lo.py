"""LibreOffice headless as the reference spreadsheet engine for tests (FACTS.md).

LibreOffice shows cached values of an .xlsx unless its profile sets OOXMLRecalcMode=0, so each
process gets its own profile folder with that setting (parallel tests must not share one).
Files LibreOffice re-saves are only read back, never shipped.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

_profiles: dict[int, Path] = {}


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The soffice executable; skip the test when absent, fail under ORDERDESK_REQUIRE_ALL=1."""
    exe = soffice_path()
    if exe is None:
        if os.environ.get("ORDERDESK_REQUIRE_ALL") == "1":
            pytest.fail("LibreOffice (soffice) is not on PATH and ORDERDESK_REQUIRE_ALL=1")
        pytest.skip("LibreOffice (soffice) is not on PATH")
    return exe


def require_pdftoppm() -> str:
    exe = shutil.which("pdftoppm")
    if exe is None:
        if os.environ.get("ORDERDESK_REQUIRE_ALL") == "1":
            pytest.fail("pdftoppm is not on PATH and ORDERDESK_REQUIRE_ALL=1")
        pytest.skip("pdftoppm is not on PATH")
    return exe


def _profile() -> Path:
    pid = os.getpid()
    if pid not in _profiles:
        root = Path(tempfile.mkdtemp(prefix=f"orderdesk-lo-{pid}-"))
        user = root / "user"
        user.mkdir(parents=True)
        (user / "registrymodifications.xcu").write_text(_RECALC_XCU, encoding="utf-8")
        _profiles[pid] = root
    return _profiles[pid]


def convert(path: Path | str, outdir: Path | str, to: str, *, timeout: float = 600) -> Path:
    """Run ``soffice --convert-to <to>`` with the recalculating profile; return the output path."""
    exe = require_soffice()
    path, outdir = Path(path), Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [exe, f"-env:UserInstallation={_profile().as_uri()}", "--headless", "--norestore",
           "--nologo", "--convert-to", to, "--outdir", str(outdir), str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    out = outdir / f"{path.stem}.{to.split(':')[0]}"
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"soffice failed ({proc.returncode}) converting {path} to {to}:\n"
                           f"{proc.stdout}\n{proc.stderr}")
    return out


def recalculate(path: Path | str, outdir: Path | str) -> Path:
    """A copy of the workbook as LibreOffice recalculates it (every formula evaluated afresh)."""
    return convert(path, outdir, "xlsx")


def formulas_and_cached(path: Path | str) -> dict[tuple[str, str], tuple[str, object]]:
    """(sheet, cell) -> (formula text, cached value) for every formula cell of a workbook."""
    import openpyxl
    wb_f = openpyxl.load_workbook(path, data_only=False)
    wb_v = openpyxl.load_workbook(path, data_only=True)
    out: dict[tuple[str, str], tuple[str, object]] = {}
    for ws in wb_f.worksheets:
        wv = wb_v[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    out[(ws.title, cell.coordinate)] = (str(cell.value), wv[cell.coordinate].value)
    return out


def values(path: Path | str) -> dict[tuple[str, str], object]:
    """(sheet, cell) -> value as stored (cached values for formulas)."""
    import openpyxl
    wb = openpyxl.load_workbook(path, data_only=True)
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row}


def same_value(a: object, b: object, tol: float = 1e-9) -> bool:
    """Cached value vs LibreOffice's: numbers within tolerance, None and '' alike, else equal."""
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(a)), abs(float(b)))
    return a == b


def mismatches(original: Path | str, workdir: Path | str) -> list[str]:
    """Every formula whose cached value differs from what LibreOffice computes on recalculation."""
    cached = formulas_and_cached(original)
    recalced = values(recalculate(original, workdir))
    bad = []
    for key, (formula, value) in cached.items():
        lo_value = recalced.get(key)
        if not same_value(value, lo_value):
            bad.append(f"{key[0]}!{key[1]} {formula}: cached {value!r}, LibreOffice {lo_value!r}")
    return bad


def to_png(path: Path | str, outdir: Path | str, *, dpi: int = 80) -> list[Path]:
    """Render a workbook to PDF with LibreOffice, then each page to PNG with pdftoppm."""
    exe = require_pdftoppm()
    outdir = Path(outdir)
    pdf = convert(path, outdir, "pdf")
    prefix = outdir / Path(path).stem
    subprocess.run([exe, "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True,
                   capture_output=True, timeout=300)
    return sorted(outdir.glob(f"{Path(path).stem}*.png"))
