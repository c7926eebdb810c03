"""Every file in ../shared/data/real read by OrderDesk, its row accounting checked against an
independent pandas count of the same file. Skips when the folder is absent (fails instead under
ORDERDESK_REQUIRE_ALL=1, see conftest.py). The data is read in place, never copied."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from addin.readers import read
from addin.readers.bom import expand_designators, read_bom

MAPS = Path(__file__).parent / "maps"
pytestmark = pytest.mark.realdata


def raw_csv(path: Path) -> pd.DataFrame:
    """The file as text cells, nothing skipped: the reference count."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig")


def blank_rows(frame: pd.DataFrame) -> pd.Series:
    return frame.apply(lambda c: c.str.strip() == "").all(axis=1)


# --- order / delivery lines --------------------------------------------------------------------

def test_scms_every_line_valid_and_published_late_count(real_data):
    f = real_data / "SCMS_Delivery_History_Dataset.csv"
    ref = raw_csv(f)
    res = read(f, "ledger", mapping=MAPS / "scms.toml")
    assert len(ref) == 10_324
    assert res.rows.as_dict() == {"read": 10_324, "valid": 10_324, "issues": 0, "blank_or_total": 0}
    d = res.data
    # '2-Jun-06' dates, read independently with their exact format
    due = pd.to_datetime(ref["Scheduled Delivery Date"], format="%d-%b-%y")
    shipped = pd.to_datetime(ref["Delivered to Client Date"], format="%d-%b-%y")
    assert (d["requested_date"].to_numpy() == due.to_numpy()).all()
    assert (d["ship_date"].to_numpy() == shipped.to_numpy()).all()
    assert d["qty"].tolist() == ref["Line Item Quantity"].astype(float).tolist()
    assert d["order_no"].tolist() == ref["PO / SO #"].str.strip().tolist()
    # the published figure: 1,186 of 10,324 lines delivered after the scheduled date
    assert int((d["ship_date"] > d["requested_date"]).sum()) == 1186


@pytest.mark.parametrize("name, mapping", [
    ("olist_orders_dataset_10k_excelreformatted.csv", "olist_orders.toml"),
    ("olist_orders_dataset_1k_original_format.csv", "olist_orders.toml"),
    ("olist_order_items_dataset_10k_excelreformatted.csv", "olist_items.toml"),
    ("olist_order_items_dataset_1.5k_original_format.csv", "olist_items.toml"),
])
def test_olist_row_accounting(real_data, name, mapping):
    f = real_data / name
    ref = raw_csv(f)
    blank = blank_rows(ref)
    res = read(f, "ledger", mapping=MAPS / mapping)
    assert res.rows.as_dict() == {"read": len(ref), "valid": int((~blank).sum()), "issues": 0,
                                  "blank_or_total": int(blank.sum())}
    real = ref[~blank]
    d = res.data
    assert d["order_no"].tolist() == real["order_id"].tolist()
    assert d["source_row"].tolist() == [i + 2 for i in real.index]
    due_col = "order_estimated_delivery_date" if "orders" in name else "shipping_limit_date"
    assert (d["requested_date"].to_numpy() == pd.to_datetime(real[due_col], format="mixed")
            .dt.normalize().to_numpy()).all()      # time of day dropped: same-day is on time
    assert (d["qty"] == 1).all()
    if "orders" in name:
        delivered = real["order_delivered_customer_date"] != ""
        assert int(d["ship_date"].notna().sum()) == int(delivered.sum())
        assert (d.loc[(real["order_status"] == "delivered").to_numpy(), "status"] == "shipped").all()


def test_olist_reformatted_files_have_the_documented_real_rows(real_data):
    orders = read(real_data / "olist_orders_dataset_10k_excelreformatted.csv", "ledger",
                  mapping=MAPS / "olist_orders.toml")
    items = read(real_data / "olist_order_items_dataset_10k_excelreformatted.csv", "ledger",
                 mapping=MAPS / "olist_items.toml")
    assert (orders.rows.valid, items.rows.valid) == (9_999, 9_998)       # SOURCES.md
    assert orders.rows.blank_or_total > 80_000 and items.rows.blank_or_total > 80_000
    # the two files share only 855 orders
    assert len(set(orders.data["order_no"]) & set(items.data["order_no"])) == 855


def test_dataco_row_accounting_and_dates(real_data):
    f = real_data / "DataCoSupplyChainDataset_6k_sample.csv"
    ref = raw_csv(f)
    res = read(f, "ledger", mapping=MAPS / "dataco.toml")
    assert res.rows.as_dict() == {"read": len(ref), "valid": 6_000, "issues": 0, "blank_or_total": 0}
    d = res.data
    # shipping date - order date, both read from 'M/D/YYYY H:MM', is the file's own real day count
    days = (d["ship_date"] - d["order_date"]).dt.days
    assert days.tolist() == ref["Days for shipping (real)"].astype(int).tolist()
    counts = ref["Order Status"].value_counts()
    assert int((d["status"] == "cancelled").sum()) == counts["CANCELED"] + counts["SUSPECTED_FRAUD"]
    assert int((d["status"] == "in_progress").sum()) == counts["PROCESSING"]
    assert d["qty"].sum() == ref["Order Item Quantity"].astype(int).sum()


def test_check_json_subprocess_on_scms(real_data):
    out = subprocess.run([sys.executable, "-m", "addin.cli", "check",
                          str(real_data / "SCMS_Delivery_History_Dataset.csv"), "--kind", "ledger",
                          "--map", str(MAPS / "scms.toml"), "--format", "json"],
                         capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    assert report["file"] == "SCMS_Delivery_History_Dataset.csv"
    assert report["header_row"] == 1
    assert report["columns"]["requested_date"] == "Scheduled Delivery Date"
    assert report["columns"]["order_no"] == "PO / SO #"
    assert report["rows"] == {"read": 10_324, "valid": 10_324, "issues": 0, "blank_or_total": 0}
    assert report["issues"] == []


# --- bills of materials ------------------------------------------------------------------------

def check_json(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "addin.cli", "check", str(path), "--kind", "bom",
                          "--format", "json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def issue_lines(result) -> list[str]:
    return [f"{i.severity}: {i}" for i in result.issues]


def test_glasgow_kicad(real_data):
    f = real_data / "BOM_Glasgow_revC3_kicad.csv"
    ref = pd.read_csv(f, dtype=str, keep_default_na=False, skipinitialspace=True)
    res = read(f, "bom")
    assert res.rows.as_dict() == {"read": len(ref), "valid": 57, "issues": 0, "blank_or_total": 0}
    d = res.data
    # every KiCad line: designators counted = quantity
    counts = [len(expand_designators(r)) for r in ref["Reference"]]
    assert counts == ref["Quantity"].astype(int).tolist() == d["qty_per"].astype(int).tolist()
    assert int(d["dnp"].sum()) == int((ref["DNP"] == "DNP").sum()) == 4
    assert "CAT24M01YI-GT3" in d["component"].tolist()          # U+2212 read as a hyphen
    assert issue_lines(res) == [
        "warning: BOM_Glasgow_revC3_kicad!G27: component: is empty: '1k' from BOM_Glasgow_revC3_kicad!C27 "
        "(Value) used as the part number"]
    assert check_json(f)["rows"] == res.rows.as_dict()


def test_ubertooth_compressed_designators(real_data):
    f = real_data / "BOM_ubertooth-zero.csv"
    res = read(f, "bom")
    assert res.rows.as_dict() == {"read": 27, "valid": 26, "issues": 1, "blank_or_total": 0}
    d = res.data
    assert d.loc[d["source_row"] == 2, "designators"].iat[0] == "C61, C81"
    assert d.loc[d["source_row"] == 5, "designators"].iat[0] == "C1, C4, C5"
    assert issue_lines(res) == [
        "warning: 'BOM_ubertooth-zero'!H7: qty_per '4': does not match the 5 designators in "
        "'BOM_ubertooth-zero'!A7 (C2, C6, C7, C16, C71)",
        "warning: 'BOM_ubertooth-zero'!H22: qty_per '2': does not match the 3 designators in "
        "'BOM_ubertooth-zero'!A22 (R1, R10, R13)",
        "error: 'BOM_ubertooth-zero'!C28: component: is empty, and so is Supplier Part Number "
        "(a part number is required)",
    ]
    report = check_json(f)
    assert report["rows"] == {"read": 27, "valid": 26, "issues": 1, "blank_or_total": 0}
    assert report["columns"]["designators"] == "Reference\nDesignator"
    assert [i["cell"] for i in report["issues"]] == ["'BOM_ubertooth-zero'!H7", "'BOM_ubertooth-zero'!H22",
                                                     "'BOM_ubertooth-zero'!C28"]


def test_kibom_66_columns_second_source(real_data):
    f = real_data / "BOM_MarbleMini_BerkeleyLab_KiBoM.xlsx"
    ref = pd.read_excel(f, engine="calamine", dtype=str, keep_default_na=False)
    assert ref.shape[1] == 66
    parts = ref[ref["Quantity Per PCB"] != ""]
    second = parts["Manufacturer1 Part Number"].str.strip().isin(["", "~", "~~"])
    res = read(f, "bom")
    assert res.columns["component"] == "Manufacturer Part Number"
    # 131 part lines, 5 blank rows and 10 'Component Count:'-style summary lines
    assert len(parts) == 131
    assert res.rows.as_dict() == {"read": 146, "valid": 131, "issues": 0, "blank_or_total": 15}
    d = res.data
    assert int((d["alternates"].map(len) > 0).sum()) == int((~second).sum()) == 38
    assert d.loc[d["designators"].str.startswith("R141"), "alternates"].iat[0] == \
        ("232270674999L", "RC0402FR-0749R9L")                 # 'X or Y' is two alternates
    # DNP: 'Mounted' = No (the mounting holes), or the text DNP in a cell of the line (two lines)
    marked = (parts["Mounted"] == "No") | (parts == "DNP").any(axis=1)
    assert int(d["dnp"].sum()) == int(marked.sum()) == 3
    assert d["qty_per"].sum() == parts["Quantity Per PCB"].astype(float).sum() == 822   # 'Component Count: 822'
    assert check_json(f)["rows"] == res.rows.as_dict()


def test_mitayi_alt_mpn_xlsx(real_data):
    f = real_data / "BOM_MitayiPico_R0.6_kicad_AltMPN.xlsx"
    ref = pd.read_excel(f, engine="calamine", dtype=str, keep_default_na=False)
    res = read(f, "bom")
    assert res.rows.as_dict() == {"read": len(ref), "valid": 23, "issues": 0, "blank_or_total": 0}
    d = res.data
    assert int(d["dnp"].sum()) == int((ref["DNP"] == "YES").sum()) == 2
    assert d["alternates"].map(len).sum() == 0           # the Alt MPN column is empty
    counts = [len(expand_designators(r)) for r in ref["Reference"]]
    assert counts == d["qty_per"].astype(int).tolist()
    assert issue_lines(res) == []


def test_mitayi_legacy_xls_lcsc(real_data):
    f = real_data / "BOM_MitayiPico_Rev0.2_LCSC_prices.xls"
    ref = pd.read_excel(f, engine="calamine", dtype=str, keep_default_na=False)
    res = read(f, "bom")
    assert res.rows.as_dict() == {"read": len(ref), "valid": 32, "issues": 0, "blank_or_total": 1}  # 'Total'
    d = res.data
    lines = ref[ref["Reference"] != ""]
    assert int(d["dnp"].sum()) == int(((lines["Notes"] == "DNP") | (lines["Value"] == "DNP")).sum()) == 11
    # 'Min\Mult Order Qty' '50\50' is a minimum of 50
    expected_moq = [float(v.split("\\")[0]) if v else None for v in lines["Min\\Mult Order Qty"]]
    assert [None if pd.isna(v) else v for v in d["moq"]] == expected_moq
    assert d.loc[d["designators"] == "U4", "component"].iat[0] == "RP2040-7-500"
    assert check_json(f)["rows"] == res.rows.as_dict()


def test_lumenpnp_two_levels(real_data):
    top = real_data / "BOM_LumenPnP_toplevel_bom.csv"
    child = real_data / "BOM_LumenPnP_motherboard_mobo-bom.csv"
    ref_top = raw_csv(top)
    ref_child = raw_csv(child)

    res_top = read(top, "bom")
    assert res_top.rows.as_dict() == {"read": len(ref_top), "valid": 108, "issues": 0, "blank_or_total": 0}
    d = res_top.data
    dash = ref_top["Quantity"] == "-"
    assert int(dash.sum()) == 11
    assert (d.loc[dash.to_numpy(), "qty_per"] == 0).all()                 # reference-only lines
    assert (d.loc[dash.to_numpy(), "dnp"]).all()                          # all of them 'Optional'
    assert d.loc[d["component"] == "pneumatic-tubing-6mmOD", "qty_per"].iat[0] == 0.8
    assert int((d["alternates"].map(len) > 0).sum()) == int((ref_top["Source 2"] != "").sum())
    assert d.loc[d["part_type"] == "PCA", "component"].tolist()[:4] == [
        "motherboard", "top-ring-light", "bottom-ring-light", "limit-switch-board"]

    res_child = read(child, "bom")
    assert res_child.rows.as_dict() == {"read": len(ref_child), "valid": 58, "issues": 0, "blank_or_total": 0}
    counts = [len(expand_designators(r)) for r in ref_child["References"]]
    assert counts == ref_child["Quantity Per PCB"].astype(int).tolist() == \
        res_child.data["qty_per"].astype(int).tolist()
    # the LCSC number is the part; lines without one fall back with a warning each
    no_lcsc = ref_child["LCSC"].str.strip() == ""
    assert len(res_child.issues) == int(no_lcsc.sum()) == 11
    assert all(i.severity == "warning" for i in res_child.issues)

    bom = read_bom([top, child], parents={child.name: "motherboard"})
    assert bom.top_level == ["BOM_LumenPnP_toplevel_bom"]
    assert bom.sub_assemblies == ["motherboard"]
    assert len(bom.data) == 108 + 58
    assert (bom.data.loc[bom.data["source_file"] == child.name, "parent"] == "motherboard").all()
    frame = bom.explode_frame()
    assert frame.loc[frame["parent"] == "motherboard", "qty_per"].sum() == \
        ref_child["Quantity Per PCB"].astype(int).sum()


@pytest.mark.parametrize("name", [
    "BOM_Glasgow_revC3_kicad.csv", "BOM_LumenPnP_motherboard_mobo-bom.csv", "BOM_LumenPnP_toplevel_bom.csv",
    "BOM_MarbleMini_BerkeleyLab_KiBoM.xlsx", "BOM_MitayiPico_R0.6_kicad_AltMPN.xlsx",
    "BOM_MitayiPico_Rev0.2_LCSC_prices.xls", "BOM_ubertooth-zero.csv"])
def test_every_bom_recognised_without_kind(real_data, name):
    assert read(real_data / name).kind == "bom"
