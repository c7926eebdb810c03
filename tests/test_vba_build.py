"""The add-in and the macro-enabled templates, checked without Excel: VBA read back by oletools
(olevba) and by LibreOffice's own VBA importer, ribbon callbacks, UDF wrappers, version pin,
reproducibility, staleness of the generated module."""
from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import warnings

import olefile
import pytest

with warnings.catch_warnings():
    # oletools calls pyparsing's camelCase API, deprecated in pyparsing 3.3: not our warning
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser, decompress_stream

import xlwings
from addin.xlam import build, ovba
from addin.xlam.cfb import write_cfb
from addin.files.atomic import load_openpyxl

ROOT = Path(__file__).resolve().parent.parent
MACROS = ROOT / "macros"
XLWINGS_DIR = Path(xlwings.__file__).parent

# VBA keywords and type names that cannot be argument names (Excel: "Compile error").
VBA_RESERVED = {w.lower() for w in """
AddressOf And Any As Boolean ByRef Byte ByVal Call Case CBool CByte CCur CDate CDbl CDec CInt CLng
CLngLng CLngPtr Const CSng CStr Currency CVar CVErr Date Debug Decimal Declare DefBool DefByte DefCur
DefDate DefDbl DefDec DefInt DefLng DefLngLng DefLngPtr DefObj DefSng DefStr DefVar Dim Do Double
Each Else ElseIf Empty End EndIf Enum Eqv Erase Error Event Exit False For Friend Function Get Global
GoSub GoTo If Imp Implements In Integer Is LBound Let Like LongLong LongPtr Long Loop LSet Me Mod New
Next Not Nothing Null Object On Option Optional Or ParamArray Preserve Print Private PtrSafe Public
RaiseEvent ReDim Rem Resume Return RSet Select Set Single Static Step Stop String Sub Then To True Type
TypeOf UBound Until Variant Wend While With WithEvents Xor""".split()}


def legal_vba_identifier(name: str) -> bool:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,254}", name):
        return False
    if name.lower() in VBA_RESERVED:
        return False
    # names Excel reads as cell references (A1 or R1C1) are refused by the formula bar
    if re.fullmatch(r"[A-Za-z]{1,3}[0-9]+", name) or re.fullmatch(r"[Rr][0-9]*([Cc][0-9]*)?|[Cc][0-9]*", name):
        return False
    return True


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("built")
    return {p.name: p for p in build.build(out)}


def macros_of(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {stream.split("/")[-1]: code for (_, stream, _, code) in parser.extract_macros()}
    finally:
        parser.close()


# ---------------------------------------------------------------- MS-OVBA pieces

@pytest.mark.parametrize("data", [b"", b"a", b"abcabcabcabc" * 1000, b"x" * 4096, b"x" * 4097,
                                  bytes(range(256)) * 40, (XLWINGS_DIR / "xlwings.bas").read_bytes()])
def test_compression_round_trips_through_oletools(data):
    assert bytes(decompress_stream(bytearray(ovba.compress(data)))) == data


def test_compression_compresses_source_text():
    text = (XLWINGS_DIR / "xlwings.bas").read_bytes()
    assert len(ovba.compress(text)) < len(text) // 2


def test_decrypt_reads_xlwings_own_protection_values():
    # CMG/DPB/GC of the PROJECT stream in xlwings' quickstart add-in: unprotected, visible
    project_id = "{318BEE36-5BE1-492A-826D-473DB19B0F30}"
    key = sum(project_id.encode()) & 0xFF
    assert ovba.decrypt("5D5F8AADDAA8DEA8DEA8DEA8DE") == (key, bytes(4))
    assert ovba.decrypt("5D5F8AADDAADDBADDBAD") == (key, b"\x00")
    assert ovba.decrypt("5D5F8AADDAADDBADDB52") == (key, b"\xff")
    assert ovba.decrypt(ovba.encrypt(b"\xff", project_id)) == (key, b"\xff")


def test_cfb_is_read_back_by_olefile():
    streams = {"PROJECT": b"p" * 10, "VBA/dir": b"d" * 5000, "VBA/small": b"s" * 100, "VBA/empty": b""}
    ole = olefile.OleFileIO(io.BytesIO(write_cfb(streams)))
    assert sorted("/".join(e) for e in ole.listdir()) == sorted(streams)
    for name, data in streams.items():
        assert ole.openstream(name).read() == data


def test_vba_project_has_no_performance_cache(built):
    with zipfile.ZipFile(built["OrderDesk.xlam"]) as z:
        ole = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
    assert ole.openstream("VBA/_VBA_PROJECT").read() == struct.pack("<HHBH", 0x61CC, 0xFFFF, 0, 0)
    project = ole.openstream("PROJECT").read().decode("cp1252")
    for name in ("xlwings", "OrderDeskMacros", "RibbonOrderDesk", "xlwings_udfs"):
        assert f"Module={name}\r\n" in project
    assert "Class=Dictionary\r\n" in project and "Document=ThisWorkbook/&H00000000\r\n" in project
    directory = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    for name in ("ThisWorkbook", "Sheet1", "xlwings", "Dictionary", "OrderDeskMacros", "RibbonOrderDesk",
                 "xlwings_udfs"):
        assert name.encode("utf-16-le") in directory


# ---------------------------------------------------------------- built files

def test_modules_equal_macros_text(built):
    for name in ("OrderDesk.xlam", "OrderLedger.xlsm", "ContractReview.xlsm"):
        modules = macros_of(built[name])
        assert modules["OrderDeskMacros"] == ovba.normalise_source((MACROS / "OrderDeskMacros.bas").read_text())
        generated = "xlwings_udfs_addin.bas" if name.endswith(".xlam") else "xlwings_udfs_workbook.bas"
        assert modules["xlwings_udfs"] == ovba.normalise_source((MACROS / "generated" / generated).read_text())
    addin = macros_of(built["OrderDesk.xlam"])
    assert addin["RibbonOrderDesk"] == ovba.normalise_source((MACROS / "RibbonOrderDesk.bas").read_text())
    assert sorted(addin) == sorted(["ThisWorkbook", "Sheet1", "xlwings", "Dictionary", "OrderDeskMacros",
                                    "RibbonOrderDesk", "xlwings_udfs"])
    assert "RibbonOrderDesk" not in macros_of(built["OrderLedger.xlsm"])


def test_xlwings_module_comes_from_the_installed_package(built):
    addin = macros_of(built["OrderDesk.xlam"])["xlwings"]
    shipped = (XLWINGS_DIR / "xlwings_custom_addin.bas").read_text(encoding="utf-8")
    # its own project name (config sheet OrderDesk.conf, config file ~/.OrderDesk/OrderDesk.conf), not "xlwings"
    expected = shipped.replace('PROJECT_NAME As String = "myaddin"', 'PROJECT_NAME As String = "OrderDesk"')
    assert addin == ovba.normalise_source(expected)
    workbook = macros_of(built["OrderLedger.xlsm"])["xlwings"]
    assert workbook == ovba.normalise_source((XLWINGS_DIR / "xlwings.bas").read_text(encoding="utf-8"))


def test_vba_declares_the_installed_xlwings_dll(built):
    for name in ("OrderDesk.xlam", "OrderLedger.xlsm"):
        text = macros_of(built[name])["xlwings"]
        assert build.vba_xlwings_version(text) == xlwings.__version__ == "0.37.8"
        assert f'"xlwings64-{xlwings.__version__}.dll"' in text


def test_version_mismatch_is_refused():
    with pytest.raises(ValueError, match="expected one xlwings DLL version"):
        build.vba_xlwings_version('Declare Function X Lib "xlwings64-0.37.7.dll"\nLib "xlwings64-0.37.8.dll"')


def test_every_ribbon_callback_is_a_sub(built):
    with zipfile.ZipFile(built["OrderDesk.xlam"]) as z:
        ui = z.read("customUI/customUI14.xml").decode("utf-8")
        rels = z.read("_rels/.rels").decode("utf-8")
        types = z.read("[Content_Types].xml").decode("utf-8")
    assert ui == (MACROS / "customUI14.xml").read_text(encoding="utf-8")
    assert 'Target="customUI/customUI14.xml"' in rels and "ui/extensibility" in rels
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types
    callbacks = re.findall(r'onAction="([^"]+)"', ui)
    assert len(callbacks) == 8      # the 7 buttons and "Compare with a file" (ribbon only)
    source = "\n".join(macros_of(built["OrderDesk.xlam"]).values())
    for callback in callbacks:
        assert re.search(rf"^Public Sub {callback}\(control As IRibbonControl\)", source, re.M), callback
    labels = re.findall(r'<button [^>]*label="([^"]+)"', ui)
    assert labels[0] == "合同评审 Contract review"
    assert all(re.search(r"[\u4e00-\u9fff]", label) and re.search(r"[A-Za-z]", label) for label in labels)


def test_every_button_macro_runs_a_python_action(built):
    from addin.excel import actions
    source = macros_of(built["OrderDesk.xlam"])["OrderDeskMacros"]
    subs = re.findall(r"^Public Sub (\w+)\(\)\r\n    RunPython \"import addin.excel.actions as a; a\.(\w+)\(\)\"",
                      source, re.M)
    assert [s for s, _ in subs] == list(build.BUTTONS)
    for _, function in subs:
        assert callable(getattr(actions, function))


def test_template_buttons_are_bound_to_existing_macros(built):
    for name, expected in (("OrderLedger.xlsm", ["RefreshRiskColours", "RefreshOtdPivot", "RootCauseSummary",
                                                 "PromiseDate", "PmcPlan", "CompareSnapshot"]),
                           ("ContractReview.xlsm", ["ContractReview", "PromiseDate"])):
        with zipfile.ZipFile(built[name]) as z:
            vml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".vml"))
            assert z.read("[Content_Types].xml").decode().count("macroEnabled.main+xml") == 1
        assert re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml) == expected
        subs = set(re.findall(r"^Public Sub (\w+)\(\)", macros_of(built[name])["OrderDeskMacros"], re.M))
        assert set(expected) <= subs


def test_config_sheet_uses_xlwings_key_names(built):
    wb = load_openpyxl(built["OrderLedger.xlsm"], keep_vba=True)
    ws = wb["xlwings.conf"]
    keys = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value]
    assert keys == ["UDF Modules", "Use UDF Server", "Show Console"]
    assert ws["B1"].value == "addin.excel.udfs"
    assert "Interpreter_Win" in ws["D1"].value   # documented, but not set: the user config supplies it


def test_a_wrapper_for_every_udf_and_legal_identifiers(built):
    module = build.load_udf_module()
    udfs = sorted(n for n in dir(module) if hasattr(getattr(module, n), "__xlfunc__"))
    assert udfs == ["OD_OTD", "OD_PROMISE", "OD_REVIEW", "OD_RISK", "OD_ROOTCAUSE"]
    for name in ("OrderDesk.xlam", "OrderLedger.xlsm"):
        wrappers = macros_of(built[name])["xlwings_udfs"]
        workbook = "ActiveWorkbook" if name.endswith(".xlam") else "ThisWorkbook"
        for udf in udfs:
            m = re.search(rf"^Function {udf}\(([^)]*)\)\r\n", wrappers, re.M)
            assert m, udf
            assert f'XLPy.CallUDF("addin.excel.udfs", "{udf}", ' in wrappers
            for arg in m.group(1).split(","):
                arg = arg.replace("Optional", "").strip()
                assert legal_vba_identifier(arg), (udf, arg)
        assert f", {workbook}, Application.Caller)" in wrappers
        assert "expand" not in wrappers
    for udf in udfs:
        info = getattr(module, udf).__xlfunc__
        assert legal_vba_identifier(udf)
        assert all("expand" not in a["options"] for a in info["args"]) and "expand" not in info["ret"]["options"]


def test_identifier_check_catches_bad_names():
    for bad in ("Double", "date", "AB12", "r1c1", "R", "1due", "due date", "_due"):
        assert not legal_vba_identifier(bad), bad
    for good in ("due", "as_of", "need_date", "po_lines", "qty"):
        assert legal_vba_identifier(good)


def test_all_vba_identifiers_in_our_modules_are_legal():
    for path in [MACROS / "OrderDeskMacros.bas", MACROS / "RibbonOrderDesk.bas", *sorted((MACROS / "generated").glob("*.bas"))]:
        text = path.read_text(encoding="utf-8")
        text.encode("ascii")  # the VBA project's code page is 1252: keep our modules ASCII
        for kind, name, args in re.findall(r"^(?:Public )?(Sub|Function) (\w+)\(([^)]*)\)", text, re.M):
            assert legal_vba_identifier(name), name
            for arg in filter(None, (a.strip() for a in args.split(","))):
                arg = re.sub(r"^(Optional|ByVal|ByRef)\s+", "", arg).split(" As ")[0].strip()
                assert legal_vba_identifier(arg), (path.name, name, arg)


def test_generated_files_are_not_stale():
    assert build.stale_generated() == [], "run `orderdesk addin generate` and commit macros/generated"


def test_stale_generated_file_is_detected(tmp_path, monkeypatch):
    copy = tmp_path / "generated"
    shutil.copytree(MACROS / "generated", copy)
    (copy / "xlwings_udfs_addin.bas").write_text("Attribute VB_Name = \"xlwings_udfs\"\n", encoding="utf-8")
    monkeypatch.setattr(build, "GENERATED", copy)
    assert [p.name for p in build.stale_generated()] == ["xlwings_udfs_addin.bas"]
    with pytest.raises(build.FileError, match=r"macros/generated is stale \(xlwings_udfs_addin.bas\)"):
        build.build(tmp_path / "out")


def test_build_is_reproducible(tmp_path, built):
    again = build.build(tmp_path)
    for path in again:
        assert path.read_bytes() == built[path.name].read_bytes(), path.name
    with zipfile.ZipFile(again[0]) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_committed_workbooks_match_a_fresh_build(built):
    for name, path in built.items():
        committed = ROOT / "workbook_templates" / name
        assert committed.read_bytes() == path.read_bytes(), f"{name}: run `orderdesk addin build` and commit"


def test_ribbon_is_well_formed_xml():
    import defusedxml.ElementTree as ET
    root = ET.parse(MACROS / "customUI14.xml").getroot()
    assert root.tag == "{http://schemas.microsoft.com/office/2009/07/customui}customUI"
    tab = root.find(".//{http://schemas.microsoft.com/office/2009/07/customui}tab")
    assert tab.get("label") == "OrderDesk"


# ---------------------------------------------------------------- LibreOffice opens them

def _soffice(exe: str, profile: Path, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                           "--nologo", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_files_and_reads_the_vba(built, tmp_path, soffice):
    # LibreOffice does not sniff the add-in content type (nor xlwings' own .xlam): name the filter
    for name in ("OrderDesk.xlam", "OrderLedger.xlsm", "ContractReview.xlsm"):
        proc = _soffice(soffice, tmp_path / "profile", ["--infilter=Calc MS Excel 2007 XML", "--convert-to", "pdf",
                                                        "--outdir", str(tmp_path / "pdf"), str(built[name])])
        pdf = tmp_path / "pdf" / (Path(name).stem + ".pdf")
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF"), proc.stderr
    # LibreOffice's own MS-OVBA reader imports every module as Basic
    _soffice(soffice, tmp_path / "profile", ["--infilter=Calc MS Excel 2007 XML", "--convert-to", "ods",
                                             "--outdir", str(tmp_path / "ods"), str(built["OrderDesk.xlam"])])
    with zipfile.ZipFile(tmp_path / "ods" / "OrderDesk.ods") as z:
        basic = {Path(n).stem for n in z.namelist() if n.startswith("Basic/OrderDesk/")}
        udf_text = z.read("Basic/OrderDesk/xlwings_udfs.xml").decode("utf-8")
    assert {"xlwings", "Dictionary", "OrderDeskMacros", "RibbonOrderDesk", "xlwings_udfs"} <= basic
    assert "Function OD_RISK(due, ship, status, Optional as_of, Optional holidays)" in udf_text
