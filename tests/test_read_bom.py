"""The BOM reader: part numbers, designators, DNP, alternates, quantities, several levels."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from addin.errors import InputError
from addin.readers import read
from addin.readers.bom import expand_designators, read_bom


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: list[list], sheet: str = "BOM") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def messages(result) -> list[str]:
    return [f"{i.severity}: {i}" for i in result.issues]


# --- designators -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("C61,81", ["C61", "C81"]),
    ("C1,4,5", ["C1", "C4", "C5"]),
    ("R1-R4", ["R1", "R2", "R3", "R4"]),
    ("R1-4", ["R1", "R2", "R3", "R4"]),
    ("R1 - R3, C2", ["R1", "R2", "R3", "C2"]),
    ("C1 C14 C19 ", ["C1", "C14", "C19"]),
    ("J6,R1", ["J6", "R1"]),
    ("RN11 RN12 Cage1", ["RN11", "RN12", "Cage1"]),
    ("C1,C1", ["C1"]),
    ("", []),
    ("LEDs", None),            # not a designator: no count rather than a guess
    ("R1-C4", None),
    ("81", None),              # a bare number with no letters before it
])
def test_expand_designators(text, expected):
    assert expand_designators(text) == expected


# --- one file -----------------------------------------------------------------------------------

def test_kicad_csv_header_spaces_count_and_dnp(tmp_path):
    f = write_csv(tmp_path / "board.csv",
                  "Reference, Quantity, Value, Footprint, MPN, DNP\n"
                  "C1 C2 C3 ,3,\"100n\",\"C_0402\",\"GRM155R71C104KA88D\",\"\"\n"
                  "R1-R4 ,4,\"10k\",\"R_0402\",\"\",\"\"\n"
                  "\"C61,81\",2,\"1u\",\"C_0402\",\"GRM155R61A105KE15D\",\"\"\n"
                  "R40 ,1,\"DNP\",\"R_0402_DNP\",\"\",\"DNP\"\n"
                  "J1 J2 ,3,\"Conn\",\"PinHeader\",\"87834-2019\",\"\"\n")
    res = read(f, "bom")
    assert res.columns["component"] == "MPN"
    assert res.rows.as_dict() == {"read": 5, "valid": 5, "issues": 0, "blank_or_total": 0}
    d = res.data
    assert d["component"].tolist() == ["GRM155R71C104KA88D", "10k", "GRM155R61A105KE15D", None, "87834-2019"]
    assert d["designators"].tolist() == ["C1, C2, C3", "R1, R2, R3, R4", "C61, C81", "R40", "J1, J2"]
    assert d["qty_per"].tolist() == [3, 4, 2, 1, 3]
    assert d["dnp"].tolist() == [False, False, False, True, False]
    assert d["parent"].tolist() == ["board"] * 5           # the file stem: no parent column
    assert d["source_row"].tolist() == [2, 3, 4, 5, 6]
    assert messages(res) == [
        "warning: board!E3: component: is empty: '10k' from board!C3 (Value) used as the part number",
        "warning: board!B6: qty_per '3': does not match the 2 designators in board!A6 (J1, J2)",
    ]


def test_quantity_from_designators_when_no_quantity_column(tmp_path):
    f = write_csv(tmp_path / "alt.csv",
                  "Designator,Comment,Footprint\n"
                  "\"C1, C2, C5\",100nF,0402\n"
                  "\"R1-R8\",10k,0402\n"
                  "LEDs,LED,0603\n"
                  ",Label,none\n")
    res = read(f, "bom")
    assert res.data["component"].tolist() == ["100nF", "10k"]
    assert res.data["qty_per"].tolist() == [3, 8]
    assert res.rows.as_dict() == {"read": 4, "valid": 2, "issues": 2, "blank_or_total": 0}
    assert messages(res) == [
        "error: alt!A4: designators 'LEDs': cannot be counted (expected designators such as R1, R2 or "
        "R1-R4) and the file has no quantity column",
        "error: alt!A5: designators: is empty, and the file has no quantity column (a quantity or "
        "designators are required)",
    ]


def test_part_number_preferred_over_value_and_running_number_ignored(tmp_path):
    # KiBoM: 'Component' is a row counter; 'Manufacturer Part Number' repeated as
    # 'Manufacturer_Part_Number' further right is read as a fallback, not refused.
    rows = [["Component", "References", "Value", "Quantity Per PCB", "Manufacturer Part Number",
             "Manufacturer1 Part Number", "Mounted", "Manufacturer_Part_Number"],
            [1, "C1 C2", "100nF", 2, "GRM155", "C0402C104", "Yes", None],
            [2, "U1", "FPGA", 1, None, None, "Yes", "XC7A200T"],
            [3, "H1 H2", "HOLE", 2, "~~", "~~", "No", None],
            [4, "R1", "10k", 1, "RC0402", "232270671003L or RC0402FR-0710KL", None, None],
            [None] * 8,
            ["Component Count:", 6, None, None, None, None, None, None],
            ["KiCad Version:", "5.1", None, None, None, None, None, None]]
    res = read(write_xlsx(tmp_path / "kibom.xlsx", rows), "bom")
    assert res.columns["component"] == "Manufacturer Part Number"
    assert res.rows.as_dict() == {"read": 7, "valid": 4, "issues": 0, "blank_or_total": 3}
    d = res.data
    assert d["component"].tolist() == ["GRM155", "XC7A200T", "HOLE", "RC0402"]
    assert d["dnp"].tolist() == [False, False, True, False]      # Mounted = No
    assert d["alternates"].tolist() == [("C0402C104",), (), (), ("232270671003L", "RC0402FR-0710KL")]
    assert messages(res) == [
        "warning: BOM!E3: component: is empty: 'XC7A200T' from BOM!H3 (Manufacturer_Part_Number) "
        "used as the part number"]


def test_alternates_from_every_column_and_inverted_fitted(tmp_path):
    rows = [["Part Number", "Qty", "Alt MPN", "Source 2", "Fitted"],
            ["A-1", 2, "A-1B; A-1C", "A-1D", "Fitted"],
            ["A-2", 1, None, "A-2B", "Not Fitted"],
            ["A-3", 1, "A-3", None, "yes"],          # the part itself is not its own alternate
            ["A-4", 1, None, None, "no"],
            ["A-5", 1, None, None, None],
            ["A-6", 1, None, None, "maybe"]]
    res = read(write_xlsx(tmp_path / "b.xlsx", rows), "bom")
    assert res.data["alternates"].tolist() == [("A-1B", "A-1C", "A-1D"), ("A-2B",), (), (), ()]
    assert res.data["dnp"].tolist() == [False, True, False, True, False]
    assert messages(res) == ["error: BOM!E7: dnp 'maybe': not yes/no (expected DNP, yes/no or fitted/not fitted)"]
    assert res.rows.as_dict() == {"read": 6, "valid": 5, "issues": 1, "blank_or_total": 0}


def test_dnp_from_text_in_value_notes_or_designators(tmp_path):
    rows = [["Reference", "Value", "Quantity", "Notes", "MPN", "LCSC Part #", "Min\\Mult Order Qty"],
            ["R1", "DNP", 1, None, None, None, None],
            ["J2", "Header_1", 1, "DNP", None, None, "100\\100"],
            ["C1,C2", "100n", 2, None, "CC0402", "C129131", "50\\50"],
            ["R5(DNP)", "1k", 1, None, "RC0402", None, "5"],
            ["U4", "RP2040", 1, None, None, None, "1/1"],
            ["", "", "", "", "", "Total", ""]]
    res = read(write_xlsx(tmp_path / "lcsc.xlsx", rows), "bom")
    d = res.data
    assert d["dnp"].tolist() == [True, True, False, True, False]
    assert d["component"].tolist() == [None, "Header_1", "CC0402", "RC0402", "RP2040"]
    assert d["designators"].tolist() == ["R1", "J2", "C1, C2", "R5", "U4"]
    assert d["moq"].tolist() == [pytest.approx(x, nan_ok=True) for x in [float("nan"), 100, 50, 5, 1]]
    assert res.rows.as_dict() == {"read": 6, "valid": 5, "issues": 0, "blank_or_total": 1}
    # the LCSC number is a better part number than the Value when the MPN is empty
    assert messages(res) == [
        "warning: BOM!E6: component: is empty: 'RP2040' from BOM!B6 (Value) used as the part number"]


def test_dash_quantity_is_a_reference_only_line(tmp_path):
    # Decision: '-' in a quantity column means "not built into this assembly". The line stays in
    # the data (qty_per 0, so an explosion orders nothing) with a warning naming the cell, unless
    # the line is DNP/optional anyway. It is not rejected: the file is not wrong, the line is
    # informational.
    f = write_csv(tmp_path / "top.csv",
                  "Part Name,Quantity,Part Type,Source 1,Source 2,Optional\n"
                  "leg,2,FDM,,,\n"
                  "squaring-bracket,-,FDM,,,Optional\n"
                  "tubing,0.8,MISC,url,alt-tubing,\n"
                  "manual,-,DOC,,,\n"
                  "widget,,MISC,,,\n")
    res = read(f, "bom")
    d = res.data
    assert d["component"].tolist() == ["leg", "squaring-bracket", "tubing", "manual"]
    assert d["qty_per"].tolist() == [2, 0, 0.8, 0]
    assert d["dnp"].tolist() == [False, True, False, False]
    assert d["alternates"].tolist() == [(), (), ("alt-tubing",), ()]
    assert messages(res) == [
        "warning: top!B5: qty_per '-': read as 0: a reference-only line, not built into the assembly "
        "(write a quantity to include it)",
        "error: top!B6: qty_per: is empty, and there are no designators to count (a quantity is required)",
    ]
    assert res.rows.as_dict() == {"read": 5, "valid": 4, "issues": 1, "blank_or_total": 0}


def test_bad_values_are_named(tmp_path):
    f = write_csv(tmp_path / "bad.csv",
                  "Part Number,Value,Qty,Designator,MOQ\n"
                  "P-1,x,-2,R1,10\n"
                  "P-2,x,abc,R2,ten\n"
                  ",,1,R3,\n"
                  "P-4,x,1,R4,-5\n")
    res = read(f, "bom")
    assert messages(res) == [
        "error: bad!C2: qty_per '-2': must not be negative",
        "error: bad!C3: qty_per 'abc': not a number",
        "error: bad!E3: moq 'ten': not a number",
        "error: bad!A4: component: is empty, and so is Value (a part number is required)",
        "error: bad!E5: moq '-5': must not be negative",
    ]
    assert res.rows.as_dict() == {"read": 4, "valid": 0, "issues": 4, "blank_or_total": 0}


def test_no_component_column_is_refused_with_the_fix(tmp_path):
    f = write_csv(tmp_path / "nothing.csv", "Footprint,Qty\n0402,1\n")
    with pytest.raises(InputError) as err:
        read(f, "bom")
    assert str(err.value) == (
        "nothing.csv: sheet 'nothing': no column for required field 'component' (a column such as 子件, "
        "子项, Component, Component Part) in the header (row 1) — add the column or name it in a --map file")


def test_unicode_minus_in_part_number_is_a_hyphen(tmp_path):
    f = write_csv(tmp_path / "m.csv", "Reference,Qty,MPN,Alt MPN\nU2,1,CAT24M01YI\u2212GT3,X\u2212Y\n")
    res = read(f, "bom")
    assert res.data["component"].tolist() == ["CAT24M01YI-GT3"]
    assert res.data["alternates"].tolist() == [("X-Y",)]


def test_user_mapping_names_the_component_column_alone(tmp_path):
    f = write_csv(tmp_path / "u.csv", "Ref,Qty,Our Code,MPN\nR1,1,IC-001,RC0402\nR2,1,,RC0603\n")
    map_file = tmp_path / "m.toml"
    map_file.write_text('[columns]\ncomponent = "Our Code"\n', encoding="utf-8")
    res = read(f, "bom", mapping=map_file)
    assert res.data["component"].tolist() == ["IC-001"]
    assert messages(res) == ["error: u!C3: component: is empty (a value is required)"]


# --- several files ---------------------------------------------------------------------------

def test_read_bom_joins_levels(tmp_path):
    top = write_csv(tmp_path / "machine.csv",
                    "Part Name,Quantity,Part Type,Source 2\n"
                    "frame,1,MISC,\n"
                    "motherboard,1,PCA,\n"
                    "screw,12,FST,screw-b\n")
    child = write_csv(tmp_path / "mobo-bom.csv",
                      "References,Value,Quantity Per PCB,LCSC\n"
                      "C1 C2,100n,2,C1525\n"
                      "U1,MCU,1,C8734\n")
    bom = read_bom([top, child], parents={"mobo-bom.csv": "motherboard"})
    d = bom.data
    assert d["parent"].tolist() == ["machine"] * 3 + ["motherboard"] * 2
    assert d["source_file"].tolist() == ["machine.csv"] * 3 + ["mobo-bom.csv"] * 2
    assert bom.top_level == ["machine"]
    assert bom.sub_assemblies == ["motherboard"]
    frame = bom.explode_frame()
    assert list(frame.columns) == ["parent", "component", "qty_per", "alternates", "dnp", "scrap_pct",
                                   "lead_time_days", "moq"]
    assert frame["component"].tolist() == ["frame", "motherboard", "screw", "C1525", "C8734"]
    assert frame["alternates"].tolist()[2] == ("screw-b",)
    # keyed by stem or path as well as by file name
    assert read_bom([child], parents={"mobo-bom": "mb"}).data["parent"].tolist() == ["mb", "mb"]
    assert read_bom([child], parents={str(child): "mb2"}).data["parent"].tolist() == ["mb2", "mb2"]
    with pytest.raises(InputError) as err:
        read_bom([top, child], parents={"mobo.csv": "motherboard"})
    assert str(err.value) == ("parents names 'mobo.csv', which is not among the BOM files read "
                              "(machine.csv, mobo-bom.csv)")


def test_parent_column_carried_down_and_cycles_refused(tmp_path):
    f = write_xlsx(tmp_path / "flat.xlsx", [
        ["父件", "子件", "用量"],
        ["A-100", "B-1", 2],
        [None, "B-2", 1],
        ["B-1", "C-1", 4],
    ])
    bom = read_bom(f)
    assert bom.data["parent"].tolist() == ["A-100", "A-100", "B-1"]
    assert bom.sub_assemblies == ["B-1"]
    with pytest.raises(InputError) as err:
        read_bom(f, parents={"flat.xlsx": "X"})
    assert str(err.value) == ("flat.xlsx: has a parent column (父件) and is also named the BOM of 'X' — "
                              "use one or the other")
    loop = write_xlsx(tmp_path / "loop.xlsx", [
        ["Parent", "Component", "Qty"], ["A", "B", 1], ["B", "C", 1], ["C", "A", 1]])
    with pytest.raises(InputError) as err:
        read_bom(loop)
    assert str(err.value) == "the BOM contains itself: A → B → C → A — remove the line that closes the loop"


def test_no_quantity_and_no_designators_is_refused(tmp_path):
    f = write_csv(tmp_path / "noqty.csv", "MPN,Footprint\nRC0402,0402\n")
    with pytest.raises(InputError) as err:
        read(f, "bom")
    assert str(err.value) == (
        "noqty.csv: sheet 'noqty': no column for required field one of 'qty_per', 'designators' "
        "(用量/Qty Per Assembly or 位号/Ref Des) in the header (row 1) — add the column or name it in a --map file")
