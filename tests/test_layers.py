"""The layer contract (pyproject.toml [tool.importlinter], docs/ARCHITECTURE.md) and the purity of
the computations: addin/compute opens no file, reads no clock, imports no Excel."""
from __future__ import annotations

import ast
import builtins
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPUTE = ROOT / "addin" / "compute"

# calls that read a clock or touch the file system, as they are spelt in source
CLOCK_CALLS = {"today", "now", "utcnow", "time", "monotonic", "perf_counter", "localtime", "gmtime"}
FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "read_csv", "read_excel",
              "read_parquet", "to_excel", "to_csv", "to_parquet", "load_workbook", "mkdir", "unlink", "rmdir",
              "is_file", "listdir", "scandir", "iterdir"}
# the package's own data (keyword lists, vocabularies) is read like a constant table
OWN_DATA = "resources.files("
EXCEL_MODULES = {"xlwings", "openpyxl", "xlsxwriter", "fastexcel", "python_calamine", "xlrd", "click",
                 "smtplib", "pathlib", "os", "io", "time", "tempfile", "shutil", "subprocess", "socket"}


def test_import_linter_contracts_are_kept():
    """Front ends -> jobs -> readers/writers -> compute -> shared, nothing upwards; computations
    import no Excel, file or terminal library; readers and writers do not know each other."""
    run = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                          "sys.exit(lint_imports_command())"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "BROKEN" not in run.stdout and "0 broken" in run.stdout, run.stdout[-3000:]


def test_layers_tool_reports_no_cycle_and_no_borrowed_private_name():
    tool = ROOT.parent / "shared" / "tools" / "layers.py"
    if not tool.exists():
        if os.environ.get("ORDERDESK_REQUIRE_ALL"):
            pytest.fail(f"{tool} is missing")
        pytest.skip("../shared/tools/layers.py is absent")
    run = subprocess.run([sys.executable, str(tool), "addin"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0 or run.stdout, run.stderr
    assert ", 0 cycles, 0 private names taken across modules" in run.stdout, run.stdout


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name:
                yield node.lineno, name, ast.unparse(f)


@pytest.mark.parametrize("path", sorted(COMPUTE.glob("*.py")), ids=lambda p: p.name)
def test_a_computation_reads_no_clock_and_touches_no_file(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for line, name, spelt in _calls(tree):
        # pd.Timestamp.now / dt.date.today / time.time ...; the as-of date is a parameter
        if name in CLOCK_CALLS and spelt.split(".")[0] in {"dt", "_dt", "datetime", "date", "pd", "time",
                                                           "Timestamp", "np"}:
            found.append(f"{path.name}:{line} {spelt}() reads the clock")
        if name in FILE_CALLS and not spelt.startswith(OWN_DATA):
            found.append(f"{path.name}:{line} {spelt}() touches files")
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for n in names:
                if n.split(".")[0] in EXCEL_MODULES:
                    found.append(f"{path.name}:{node.lineno} imports {n}")
    assert found == []


def test_the_computations_run_with_files_and_clock_forbidden(monkeypatch):
    """The engines behind otd, risk, the monthly model, review and promise run end to end while
    opening any file raises: what they need comes in as frames and values."""
    from addin.compute.calendar import WorkingCalendar
    from addin.compute.monthly import compute_month
    from addin.compute.otd import OtdSettings, classify, summarise
    from addin.compute.promise import Plan
    from addin.compute.review import review_lines
    from addin.compute.risk import assess_risk
    from addin.compute.rootcause import classify_causes

    from addin.zh import simplified

    # libraries' own data loaded before the guard, as at the first call: holiday tables, OpenCC's
    cal = WorkingCalendar.cn()
    WorkingCalendar.mon_fri()
    simplified("供應商來料")
    ts = pd.Timestamp
    ledger = pd.DataFrame({
        "order_no": ["PO-1", "PO-1", "PO-2", "PO-3"], "line_no": ["1", "2", "1", "1"],
        "customer": ["ACME", "ACME", "星河智能", "ACME"], "part_no": ["A-100", "B-200", "A-100", "A-100"],
        "qty": [100.0, 50.0, 10.0, 20.0], "shipped_qty": [100.0, 40.0, None, None],
        "unit_price": [1.2, 2.0, 1.2, 1.2], "currency": ["CNY"] * 4,
        "order_date": [ts("2026-09-01")] * 4,
        "requested_date": [ts("2026-10-05"), ts("2026-10-06"), ts("2026-10-20"), ts("2026-11-24")],
        "promised_date": [ts("2026-10-05"), ts("2026-10-06"), ts("2026-10-20"), ts("2026-11-24")],
        "ship_date": [ts("2026-10-05"), ts("2026-10-09"), pd.NaT, pd.NaT],
        "status": ["shipped", "shipped", "open", "open"],
        "exception_note": [None, "缺料，供应商延期", None, None]})
    quotes = pd.DataFrame({"quote_no": ["Q1"], "customer": ["ACME"], "part_no": ["A-100"], "revision": [None],
                           "min_qty": [1.0], "unit_price": [1.2], "currency": ["CNY"], "lead_time_days": [10.0],
                           "moq": [10.0], "tooling_charge": [None], "valid_from": [ts("2026-01-01")],
                           "valid_until": [ts("2026-12-31")]})
    bom = pd.DataFrame({"parent": ["A-100"], "component": ["IC-1"], "qty_per": [2.0], "alternates": [()],
                        "dnp": [False]})
    stock = pd.DataFrame({"part_no": ["IC-1"], "on_hand": [50.0], "safety_stock": [0.0], "allocated": [0.0],
                          "purchase_lead_time_days": [10.0], "inspection_days": [1.0], "moq": [100.0]})

    def refuse(*args, **kwargs):
        raise AssertionError(f"a computation opened a file: {args[:1]}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(os, "open", refuse)
    as_of = dt.date(2026, 11, 20)
    settings = OtdSettings(customer_tolerances={"ACME": (2, None)}, risk_horizon=5)
    classified = classify(ledger, as_of, settings)
    assert summarise(classified, ["customer"], settings)["lines"].sum() > 0
    assert set(assess_risk(ledger, as_of, cal, 5)["risk"]) <= {"overdue", "at_risk", "on_track", "done", "cancelled"}
    assert len(compute_month(ledger, month=dt.date(2026, 10, 1), as_of=as_of, settings=settings, calendar=cal).by_month)
    assert classify_causes(pd.Series([None]), pd.Series(["缺料，供应商延期"])).tolist() == ["material"]
    review = review_lines(ledger, quotes, calendar=cal, as_of=as_of, plan=Plan(bom=bom, stock=stock))
    assert len(review) == len(ledger)
