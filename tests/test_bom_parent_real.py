"""Issue 16 item 4: a KiCad / Altium / KiBoM export (no parent column) is the BOM of one assembly,
the one `--bom-parent` names — for `orderdesk plan` and for `orderdesk review` alike (the review
used to take the file name as the assembly and ignore --bom-parent, so the ordered board was
"2 short, no stock" instead of exploded). Real BOMs from ../shared/data/real (skipped when
absent); the expected quantities are derived from the BOM as read."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

D = dt.datetime
ASSEMBLY, QTY = "BOARD-7", 2
EXPORTS = ["BOM_Glasgow_revC3_kicad.csv", "BOM_MarbleMini_BerkeleyLab_KiBoM.xlsx",
           "BOM_MitayiPico_R0.6_kicad_AltMPN.xlsx"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, timeout=300)


def write_book(path: Path, sheet: str, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = sheet
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def first_component(bom_file: Path) -> tuple[str, float]:
    """The export's first fitted component and its quantity per assembly (all its rows)."""
    from addin.readers.bom import read_bom
    data = read_bom([bom_file], {bom_file.name: ASSEMBLY}).data
    fitted = data[~data["dnp"].fillna(False).astype(bool)]
    part = fitted["component"].iloc[0]
    return part, float(fitted.loc[fitted["component"] == part, "qty_per"].sum())


@pytest.fixture
def inputs(tmp_path):
    orders = write_book(tmp_path / "orders.xlsx", "Orders", [
        ["Order No", "Line", "Customer", "Part No", "Qty", "Order Date", "Requested Date", "Promised Date"],
        ["SO-1", "1", "ACME", ASSEMBLY, QTY, D(2026, 11, 10), D(2026, 12, 20), D(2026, 12, 20)]])
    quotes = write_book(tmp_path / "quotes.xlsx", "Quotes", [
        ["Quote No", "Customer", "Part No", "Unit Price", "Currency", "Lead Time", "MOQ", "Valid Until"],
        ["Q1", "ACME", ASSEMBLY, 100, "USD", 20, 1, D(2027, 1, 31)]])
    return orders, quotes


@pytest.mark.realdata
@pytest.mark.parametrize("export", EXPORTS)
def test_bom_parent_names_the_assembly_for_plan_and_review(real_data, tmp_path, inputs, export):
    bom = real_data / export
    if not bom.exists():
        pytest.skip(f"{export} not in {real_data}")
    orders, quotes = inputs
    part, per = first_component(bom)
    stock = write_book(tmp_path / "stock.xlsx", "Stock", [["Part No", "On Hand", "Lead Time"], [part, 1, 10]])
    short = QTY * per - 1

    plan = cli("plan", str(orders), "--bom", str(bom), "--bom-parent", ASSEMBLY, "--stock", str(stock),
               "--as-of", "2026-11-20", "--format", "json", "--out", str(tmp_path / "plan.xlsx"))
    assert plan.returncode == 0, plan.stderr
    shortages = {s["part_no"]: s for s in json.loads(plan.stdout)["shortages"]}
    assert ASSEMBLY not in shortages                       # exploded, not bought whole
    assert shortages[part]["short_qty"] == short and shortages[part]["order_by"] is not None

    review = cli("review", str(orders), "--quotes", str(quotes), "--bom", str(bom), "--bom-parent", ASSEMBLY,
                 "--stock", str(stock), "--as-of", "2026-11-20", "--format", "json", "--out",
                 str(tmp_path / "review.xlsx"))
    assert review.returncode == 0, review.stderr
    reason = json.loads(review.stdout)["lines"][0]["checks"]["material"]["reason"]
    assert f"{ASSEMBLY} {QTY} short" not in reason
    assert part not in reason                              # the component in stock (10 days) is not the blocker
    assert "short, no stock, purchase or lead time" in reason    # the rest of the board: nothing in stock

    # without --bom-parent the export builds the assembly named by its file: the board is not in it
    plain = cli("review", str(orders), "--quotes", str(quotes), "--bom", str(bom), "--stock", str(stock),
                "--as-of", "2026-11-20", "--format", "json", "--out", str(tmp_path / "review2.xlsx"))
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout)["lines"][0]["checks"]["material"]["reason"].startswith(
        f"cannot plan: {ASSEMBLY} {QTY} short")
