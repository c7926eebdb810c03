"""Build the OrderDesk add-in (``OrderDesk.xlam``) and the macro-enabled templates from
``macros/`` and the installed xlwings package, reproducibly and without Excel.

- The xlwings VBA module and its Dictionary class come from the installed xlwings package
  (read with importlib.resources at build time; they are never copied into this repository),
  so the VBA always declares the DLL of the installed version (``xlwings64-<version>.dll``).
- The UDF wrapper module is written by xlwings' own generator
  (``xlwings.udfs.generate_vba_wrapper``); the result is committed under ``macros/generated``
  and :func:`stale_generated` says when it no longer matches ``addin/excel/udfs.py``.
- Same inputs give byte-identical files: fixed document dates, fixed zip timestamps,
  deterministic VBA project (see :mod:`addin.xlam.ovba`).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import importlib.util
import io
import re
import sys
import types
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterator

from addin.errors import FileError
from addin.xlam.ovba import (WORKBOOK_BASE, WORKSHEET_BASE, Module, build_vba_project, class_from_cls,
                              document_module)

ROOT = Path(__file__).resolve().parents[2]
MACROS = ROOT / "macros"
GENERATED = MACROS / "generated"
TEMPLATES = ROOT / "workbook_templates"
UDF_MODULE = "addin.excel.udfs"
UDF_SOURCE = Path(__file__).parents[1] / "excel" / "udfs.py"
ADDIN_NAME = "OrderDesk.xlam"
# The add-in's own xlwings project name (xlwings' custom add-in, docs/customaddin.md): its config
# sheet is "OrderDesk.conf" and its config file %USERPROFILE%\.OrderDesk\OrderDesk.conf
# (macOS: ~/Library/Containers/com.microsoft.Excel/Data/OrderDesk.conf), apart from the user's
# ~/.xlwings/xlwings.conf, which OrderDesk never reads or writes.
PROJECT_NAME = "OrderDesk"
ADDIN_CONFIG_SHEET = f"{PROJECT_NAME}.conf"
FIXED_DATE = _dt.datetime(2026, 1, 1)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
CONFIG_SHEET = "xlwings.conf"

# Config rows written into the xlwings.conf sheets: only keys with a value (an empty value
# in the sheet would hide the user's own config file, where `orderdesk addin install` writes
# Interpreter_Win / Interpreter_Mac).
CONFIG_ROWS = (("UDF Modules", UDF_MODULE), ("Use UDF Server", False), ("Show Console", False))
CONFIG_NOTE = ("Interpreter_Win / Interpreter_Mac / PYTHONPATH: add a row here only to override "
               "what `orderdesk addin install` wrote into ~/.xlwings/xlwings.conf")

BUTTONS = {  # macro -> caption (the ribbon uses the same labels)
    "ContractReview": "合同评审 Contract review",
    "RefreshRiskColours": "刷新风险颜色 Refresh risk colours",
    "RefreshOtdPivot": "刷新准交率透视 Refresh OTD pivot",
    "RootCauseSummary": "根因汇总 Root-cause summary",
    "PromiseDate": "承诺交期 Promise date",
    "PmcPlan": "物料与产能计划 PMC plan",
    "CompareSnapshot": "与上次快照比对 Compare with last snapshot",
}


# ---------------------------------------------------------------- xlwings' own files

def xlwings_version() -> str:
    import xlwings
    return xlwings.__version__


def _xlwings_text(name: str) -> str:
    return resources.files("xlwings").joinpath(name).read_text(encoding="utf-8")


def vba_xlwings_version(text: str) -> str:
    """The xlwings version a VBA module was written for (its ``xlwings64-<v>.dll`` declaration)."""
    found = set(re.findall(r"xlwings64-([0-9][0-9.]*[0-9])\.dll", text))
    if len(found) != 1:
        raise ValueError(f"expected one xlwings DLL version in the VBA module, found {sorted(found)}")
    return found.pop()


def xlwings_module(for_addin: bool) -> Module:
    """xlwings' VBA module: ``xlwings_custom_addin.bas`` for the add-in (the module of
    ``xlwings quickstart --addin``), ``xlwings.bas`` for a workbook. Both read the
    ``xlwings.conf`` sheet and ``~/.xlwings/xlwings.conf``."""
    if for_addin:
        text = _xlwings_text("xlwings_custom_addin.bas")
        # The one edit xlwings asks of a custom add-in: its own project name, which names the
        # config sheet and file (never "xlwings": that would read and share the user's xlwings.conf).
        text, n = re.subn(r'(Public Const PROJECT_NAME As String = )"myaddin"', rf'\1"{PROJECT_NAME}"', text)
        if n != 1:
            raise ValueError("xlwings_custom_addin.bas: PROJECT_NAME line not found")
    else:
        text = _xlwings_text("xlwings.bas")
    version = vba_xlwings_version(text)
    if version != xlwings_version():
        raise ValueError(f"xlwings VBA is for {version} but xlwings {xlwings_version()} is installed")
    return Module("xlwings", text)


def dictionary_class() -> Module:
    return class_from_cls(_xlwings_text("addin/Dictionary.cls"))


# ---------------------------------------------------------------- UDF wrappers (xlwings' generator)

_UDFS: list[types.ModuleType] = []


@contextlib.contextmanager
def _xlwings_udfs() -> Iterator[types.ModuleType]:
    """Import ``xlwings.udfs`` on any platform: it imports pythoncom/pywintypes/win32com at the
    top, which exist only on Windows. The stubs live only for the duration of the block."""
    if sys.platform.startswith("win"):
        import xlwings.udfs as udfs
        yield udfs
        return
    stub_names = ["pythoncom", "pywintypes", "win32com", "win32com.client"]
    saved = {name: sys.modules.get(name) for name in stub_names + ["xlwings.udfs"]}
    try:
        for name in stub_names:
            if saved[name] is None:
                sys.modules[name] = types.ModuleType(name)
        client = sys.modules["win32com.client"]
        if not hasattr(client, "Dispatch"):
            client.Dispatch = None  # only imported by name, never called while generating
        sys.modules["win32com"].client = client
        pythoncom = sys.modules["pythoncom"]
        if not hasattr(pythoncom, "CoInitialize"):
            pythoncom.CoInitialize = lambda: None  # thread initializer of a pool never used here
        if not _UDFS:
            import xlwings.udfs
            _UDFS.append(xlwings.udfs)
        sys.modules["xlwings.udfs"] = _UDFS[0]
        yield _UDFS[0]
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def load_udf_module() -> types.ModuleType:
    """A fresh copy of ``addin.excel.udfs`` imported with xlwings' Windows decorators, so each
    function carries ``__xlfunc__`` (names, argument and return conversion options) exactly as
    xlwings sees it on Windows. Not registered in ``sys.modules``."""
    import xlwings as xw
    with _xlwings_udfs() as udfs:
        saved = (xw.func, xw.arg, xw.ret, xw.sub)
        xw.func, xw.arg, xw.ret, xw.sub = udfs.xlfunc, udfs.xlarg, udfs.xlret, udfs.xlsub
        try:
            spec = importlib.util.spec_from_file_location("_orderdesk_udfs_with_metadata", UDF_SOURCE)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            xw.func, xw.arg, xw.ret, xw.sub = saved
    return module


class _Workbook:
    """generate_vba_wrapper only reads ``Name`` (.xlam → wrappers pass ActiveWorkbook)."""

    def __init__(self, name: str):
        self.Name = name


def generate_udf_wrappers(for_addin: bool) -> str:
    """The ``xlwings_udfs`` VBA module, as xlwings' ``import_udfs`` would write it, with what
    ``import_udfs`` does in Excel afterwards and prebuilt wrappers must do themselves: register
    the function wizard's help (:func:`udf_registration`); and a conditional ``Application.Volatile``
    for the functions listed in the module's ``VOLATILE_UNLESS``."""
    module = load_udf_module()
    buffer = io.StringIO()
    buffer.write('Attribute VB_Name = "xlwings_udfs"\n')
    buffer.write("'Autogenerated code by xlwings - changes will be lost with next import!\n")
    buffer.write("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel\n""")
    with _xlwings_udfs() as udfs:
        udfs.generate_vba_wrapper(UDF_MODULE, module, buffer, _Workbook(ADDIN_NAME if for_addin else "Book.xlsm"))
    text = buffer.getvalue().replace("\r\n", "\n")
    return _volatile_unless(text, getattr(module, "VOLATILE_UNLESS", {})) + udf_registration(module)


def _vba_string(text: str) -> str:
    """A VBA string literal (ASCII: the module's code page is 1252)."""
    return '"' + text.replace('"', '""') + '"'


def _udf_functions(module: types.ModuleType) -> list[dict]:
    return sorted((f.__xlfunc__ for f in vars(module).values() if hasattr(f, "__xlfunc__") and not f.__xlfunc__["sub"]),
                  key=lambda info: info["name"])


def _vba_unicode(text: str) -> str:
    """A VBA expression for any text: ``OdText("...")`` with each non-ASCII character written
    ``\\uXXXX`` (the module's code page cannot hold Chinese), decoded at run time."""
    escaped = "".join(c if ord(c) < 128 and c != "\\" else f"\\u{ord(c):04X}" for c in text)
    return f"OdText({_vba_string(escaped)})" if escaped != text else _vba_string(text)


def _macro_options(info: dict, description: str, docs: list[str], string, indent: str) -> list[str]:
    return [f'{indent}Application.MacroOptions Macro:="\'" & ThisWorkbook.Name & "\'!{info["name"]}", _',
            f'{indent}    Description:={string(description[:255])}, _',
            f'{indent}    Category:={_vba_string(str(info["category"]))}, _',
            f"{indent}    ArgumentDescriptions:=Array(" + f", _\n{indent}        ".join(string(d[:255]) for d in docs) + ")"]


def udf_registration(module: types.ModuleType) -> str:
    """``RegisterOrderDeskFunctions``: each function's description, category and argument help for
    the function wizard (fx), with ``Application.MacroOptions`` as xlwings' ``import_udfs`` does
    (descriptions cut at 255 characters, the ``caller`` argument left out), run at load by
    ``Auto_Open``: in Chinese (the module's ``HELP_ZH``) when Excel's interface language is
    Chinese, else in English (docstrings and argument docs). A failure (an Excel before 2010)
    leaves the functions working, without help."""
    zh_help = getattr(module, "HELP_ZH", {})
    english, chinese = [], []
    for info in _udf_functions(module):
        args = [a for a in info["args"] if not a["vba"] and a["name"] != "caller"]
        english += _macro_options(info, info["ret"]["doc"], [a["doc"] for a in args], _vba_string, "        ")
        if info["name"] in zh_help:
            description, docs = zh_help[info["name"]]
            chinese += _macro_options(info, description, [docs[a["name"]] for a in args], _vba_unicode, "        ")
    lines = ["", "Public Sub RegisterOrderDeskFunctions()",
             "    ' the function wizard's help, as xlwings' Import Functions registers it",
             "    Dim zh As Boolean",
             "    On Error Resume Next",
             "    zh = ((Application.LanguageSettings.LanguageID(2) And &H3FF) = 4) ' msoLanguageIDUI: Chinese",
             "    If zh Then", *(chinese or english), "    Else", *english, "    End If",
             "    On Error GoTo 0", "End Sub", "",
             "Private Function OdText(ByVal s As String) As String",
             "    Dim i As Long, result As String",
             "    i = 1",
             "    Do While i <= Len(s)",
             '        If Mid$(s, i, 2) = "\\u" Then',
             '            result = result & ChrW(CLng("&H" & Mid$(s, i + 2, 4)))',
             "            i = i + 6",
             "        Else",
             "            result = result & Mid$(s, i, 1)",
             "            i = i + 1",
             "        End If",
             "    Loop",
             "    OdText = result",
             "End Function", "",
             "Private Sub Auto_Open()", "    RegisterOrderDeskFunctions", "End Sub", ""]
    return "\n".join(lines)


def _volatile_unless(text: str, rules: dict[str, tuple[str, ...]]) -> str:
    """``Application.Volatile`` in the wrapper of each function of ``rules`` made conditional:
    volatile only while all the listed optional arguments are omitted."""
    for name, args in rules.items():
        start = text.index(f"Function {name}(")
        end = text.index("End Function", start)
        body = text[start:end]
        if "    Application.Volatile\n" not in body:
            raise ValueError(f"{name}: VOLATILE_UNLESS needs @xw.func(volatile=True)")
        condition = " And ".join(f"IsMissing({a})" for a in args)
        text = text[:start] + body.replace("    Application.Volatile\n", f"    Application.Volatile {condition}\n", 1) \
            + text[end:]
    return text


def generated_files() -> dict[Path, str]:
    return {
        GENERATED / "xlwings_udfs_addin.bas": generate_udf_wrappers(for_addin=True),
        GENERATED / "xlwings_udfs_workbook.bas": generate_udf_wrappers(for_addin=False),
    }


def write_generated() -> list[Path]:
    out = []
    for path, text in generated_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            out.append(path)
    return out


def stale_generated() -> list[Path]:
    """Committed generated files that differ from what the generator writes now."""
    return [p for p, text in generated_files().items()
            if not p.exists() or p.read_text(encoding="utf-8") != text]


# ---------------------------------------------------------------- VBA projects

def macro_text(name: str) -> str:
    return (MACROS / name).read_text(encoding="utf-8")


def vba_modules(for_addin: bool, sheet_count: int) -> list[Module]:
    """Every module of the add-in or of a template, in project order."""
    modules = [document_module("ThisWorkbook", WORKBOOK_BASE)]
    modules += [document_module(f"Sheet{i}", WORKSHEET_BASE) for i in range(1, sheet_count + 1)]
    modules += [xlwings_module(for_addin), dictionary_class(),
                Module("OrderDeskMacros", macro_text("OrderDeskMacros.bas"))]
    if for_addin:
        modules.append(Module("RibbonOrderDesk", macro_text("RibbonOrderDesk.bas")))
    udf = GENERATED / ("xlwings_udfs_addin.bas" if for_addin else "xlwings_udfs_workbook.bas")
    modules.append(Module("xlwings_udfs", udf.read_text(encoding="utf-8")))
    return modules


# ---------------------------------------------------------------- packages

@dataclass(frozen=True)
class Choice:
    """A dropdown (data validation list) on the data rows of one column, found by its header.
    ``strict``: a value off the list is warned about (the user may keep it); else the list only
    suggests (free text stays valid: the readers classify it)."""
    header: str
    values: tuple[str, ...]
    strict: bool
    title: str = ""
    message: str = ""


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: tuple[tuple, ...] = ()
    buttons: tuple[str, ...] = ()   # macro names
    widths: tuple[float, ...] = ()
    table: str | None = None        # rows (header + data) as an Excel Table of this name
    choices: tuple[Choice, ...] = ()


# Sheet buttons sit in a band of their own above the header: OrderDesk writes only from the
# header row down (its columns beside the table: risk, risk reason, promise date), and the table
# grows down and to the right, so nothing it or the user adds can run under a button. The band
# and the header are frozen: the buttons stay in view while the user scrolls the ledger.
XL_MAX_ROW = 1_048_575   # the last row (0-based): a dropdown covers every row the table can grow into
BUTTON_ROW_HEIGHT = 36     # points (48 px): a 40 px button with 4 px above
BUTTON_WIDTH, BUTTON_HEIGHT, BUTTON_GAP = 200, 40, 8   # pixels


def header_row(sheet: Sheet) -> int:
    """The header's row (0-based): below the button band when the sheet has buttons."""
    return 1 if sheet.buttons else 0


def _workbook_bytes(sheets: list[Sheet], vba: bytes, title: str) -> bytes:
    from addin.writers.xlsx import Workbook  # closes what a failed close leaves open
    buffer = io.BytesIO()
    wb = Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"title": title, "author": "OrderDesk", "created": FIXED_DATE})
    wb.set_calc_mode("auto")
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        top = header_row(sheet)
        for c, width in enumerate(sheet.widths):
            ws.set_column(c, c, width)
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, (_dt.date, _dt.datetime)):
                    ws.write_datetime(top + r, c, _dt.datetime(value.year, value.month, value.day), date)
                elif isinstance(value, bool):
                    ws.write_boolean(top + r, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(top + r, c, value)
                else:
                    ws.write_string(top + r, c, str(value),
                                    header if (r == 0 and not sheet.name.endswith(".conf")) else None)
        if sheet.table:
            # the ledger as an Excel Table (ListObject): formulas and UDF arguments that name its
            # columns (OrderLedger[状态 Status]) grow with it; the header cells keep their format
            ws.add_table(top, 0, top + len(sheet.rows) - 1, len(sheet.rows[0]) - 1, {
                "name": sheet.table, "style": "Table Style Light 1",
                "columns": [{"header": h, "header_format": header} for h in sheet.rows[0]]})
        for choice in sheet.choices:
            c = sheet.rows[0].index(choice.header)
            # no input message: a tooltip on every cell of the column is in the planner's way
            rule = {"validate": "list", "source": list(choice.values), "ignore_blank": True, "show_input": False}
            if choice.strict:
                rule.update({"error_type": "warning", "error_title": choice.title[:32],
                             "error_message": choice.message[:255]})
            else:
                rule["show_error"] = False
            ws.data_validation(top + 1, c, XL_MAX_ROW, c, rule)
        if sheet.buttons:
            ws.set_row(0, BUTTON_ROW_HEIGHT)
            ws.freeze_panes(top + 1, 0)
        for i, macro in enumerate(sheet.buttons):
            ws.insert_button(0, 0, {"macro": macro, "caption": BUTTONS[macro], "width": BUTTON_WIDTH,
                                    "height": BUTTON_HEIGHT, "x_offset": 4 + i * (BUTTON_WIDTH + BUTTON_GAP),
                                    "y_offset": 4})
    wb.add_vba_project(io.BytesIO(vba), is_stream=True)
    wb.set_vba_name("ThisWorkbook")
    wb.close()
    return buffer.getvalue()


_ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
_MACRO_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_CUSTOMUI_REL = ('<Relationship Id="rIdOrderDeskUI" '
                 'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility" '
                 'Target="customUI/customUI14.xml"/>')


def _repack(data: bytes, *, addin: bool, custom_ui: bytes | None) -> bytes:
    """Rewrite the package with fixed zip timestamps; for the add-in, switch the main part's
    content type and add the ribbon (customUI part + its package relationship)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    if addin:
        types_xml = parts["[Content_Types].xml"].decode("utf-8")
        if _MACRO_CONTENT_TYPE not in types_xml:
            raise ValueError("unexpected workbook content type from XlsxWriter")
        parts["[Content_Types].xml"] = types_xml.replace(_MACRO_CONTENT_TYPE, _ADDIN_CONTENT_TYPE).encode("utf-8")
    if custom_ui is not None:
        rels = parts["_rels/.rels"].decode("utf-8")
        parts["_rels/.rels"] = rels.replace("</Relationships>", _CUSTOMUI_REL + "</Relationships>").encode("utf-8")
        parts["customUI/customUI14.xml"] = custom_ui
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, body in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, body, compresslevel=9)
    return out.getvalue()


ADDIN_CONFIG_NOTE = ("Interpreter_Win / Interpreter_Mac: `orderdesk addin install` writes them into "
                     "%USERPROFILE%\\.OrderDesk\\OrderDesk.conf (macOS: ~/Library/Containers/com.microsoft.Excel/"
                     "Data/OrderDesk.conf); add a row here only to override that file")


def _config_sheet(name: str = CONFIG_SHEET, note: str = CONFIG_NOTE) -> Sheet:
    rows = tuple((key, value) for key, value in CONFIG_ROWS)
    rows = (rows[0] + (None, note),) + rows[1:]
    return Sheet(name, rows, widths=(18, 22, 2, 80))


def addin_bytes() -> bytes:
    sheets = [_config_sheet(ADDIN_CONFIG_SHEET, ADDIN_CONFIG_NOTE)]
    vba = build_vba_project("OrderDesk", vba_modules(for_addin=True, sheet_count=len(sheets)))
    data = _workbook_bytes(sheets, vba, "OrderDesk add-in")
    return _repack(data, addin=True, custom_ui=(MACROS / "customUI14.xml").read_bytes())


CALENDAR_NOTE = "填入放假日与调休上班日 List days off and make-up working days"


def _calendar_sheet() -> Sheet:
    """Where an Excel user adds holidays (``compute.calendar`` reads it; empty: ``cn`` alone)."""
    return Sheet("Calendar", (("日期 Date", "是否上班 Working", "说明 Name", None, CALENDAR_NOTE),),
                 widths=(14, 16, 24, 2, 56))


def _template_bytes(sheets: list[Sheet], title: str) -> bytes:
    sheets = sheets + [_calendar_sheet(), _config_sheet()]
    vba = build_vba_project("VBAProject", vba_modules(for_addin=False, sheet_count=len(sheets)))
    return _repack(_workbook_bytes(sheets, vba, title), addin=False, custom_ui=None)


LEDGER_HEADER = ("订单号 Order No", "客户 Customer", "料号 Part No", "订单数量 Qty", "订单日期 Order Date",
                 "客户交期 Requested Date", "承诺交期 Promised Date", "出货日期 Ship Date",
                 "出货数量 Shipped Qty", "状态 Status", "跟单员 Owner", "异常类型 Exception Type",
                 "异常说明 Notes")


def _ledger_rows() -> tuple[tuple, ...]:
    d = _dt.date
    return (LEDGER_HEADER,
            ("PO-1001", "ACME", "A-100", 500, d(2026, 9, 1), d(2026, 10, 10), d(2026, 10, 12), d(2026, 10, 12), 500,
             "已出货", "Li Na", None, None),
            ("PO-1002", "ACME", "B-200", 1200, d(2026, 9, 5), d(2026, 10, 15), d(2026, 10, 15), d(2026, 10, 20), 1200,
             "已出货", "Li Na", "缺料", "PCB来料延期"),
            ("PO-1003", "Globex", "C-300", 300, d(2026, 9, 20), d(2026, 11, 5), d(2026, 11, 5), None, None,
             "生产中", "Wang Wei", None, "设备故障 waiting for repair"),
            ("PO-1004", "Globex", "A-100", 800, d(2026, 10, 1), d(2026, 11, 30), d(2026, 11, 30), None, None,
             "待排产", "Wang Wei", None, None),
            ("PO-1005", "Initech", "D-400", 50, d(2026, 10, 3), d(2026, 11, 20), None, None, None,
             "已取消", "Li Na", None, "客户取消"))


# The status words of the dropdown, one per status code (addin.schema.STATUS_WORDS), in Chinese
# and in English: words the readers take (addin/data/values.toml), tested to map to their code.
STATUS_CHOICES = {"open": ("待排产", "open"), "in_progress": ("生产中", "in progress"),
                  "shipped": ("已出货", "shipped"), "closed": ("已完成", "closed"),
                  "cancelled": ("已取消", "cancelled")}
LEDGER_TABLE = "OrderLedger"


def status_choices() -> tuple[str, ...]:
    return tuple(zh for zh, _ in STATUS_CHOICES.values()) + tuple(en for _, en in STATUS_CHOICES.values())


def cause_choices() -> tuple[str, ...]:
    """The root-cause categories in Chinese, then English, as the root-cause summary names them
    (each is a synonym of its cause in addin/data/rootcause.toml)."""
    from addin.compute.rootcause import CAUSE_LABELS, CAUSES
    return tuple(CAUSE_LABELS["zh"][c] for c in CAUSES) + tuple(CAUSE_LABELS["en"][c] for c in CAUSES)


def ledger_choices() -> tuple[Choice, ...]:
    return (Choice("状态 Status", status_choices(), strict=True, title="状态 Status",
                   message="OrderDesk 不认识这个状态，请从列表中选择；仍要保留请点“是”。"
                           "OrderDesk does not know this status: pick one from the list, or click Yes to keep it."),
            Choice("异常类型 Exception Type", cause_choices(), strict=False))


LEDGER_BUTTONS = ("RefreshRiskColours", "RefreshOtdPivot", "RootCauseSummary", "PromiseDate", "PmcPlan",
                  "CompareSnapshot")


def plan_sheets() -> list[Sheet]:
    """The sheets the PMC plan button reads (``addin.excel.compute.PLAN_SHEETS``), with rows for
    the sample ledger's parts (a promise date for any of its lines): a BOM, stock with lead times
    and MOQ (B-200 and D-400 bought in, no BOM), the open purchase lines
    (quantity still to come and its due date, with the supplier: what the plan nets and names as
    the blocker), the lines' daily hours and each part's hours per unit."""
    d = _dt.date
    # "替代料" alone: the BOM reader takes alternates only under a header that is one of its
    # aliases as a whole ("替代料 Alternates" is mapped, but its values were dropped)
    return [
        Sheet("BOM", (("父件 Parent", "子件 Component", "用量 Qty Per", "替代料"),
                      ("A-100", "PCB-1", 1, None), ("A-100", "IC-7", 2, "IC-7B"),
                      ("C-300", "PCB-3", 1, None), ("C-300", "IC-7", 1, "IC-7B")),
              widths=(14, 14, 10, 14), table="Bom"),
        Sheet("Stock", (("料号 Part No", "库存 On Hand", "采购周期 Lead Time", "检验天数 Inspection Days", "MOQ"),
                        ("PCB-1", 300, 15, 1, 500), ("IC-7", 600, 30, 2, 1000), ("IC-7B", 200, 30, 2, 500),
                        ("PCB-3", 300, 15, 1, 500), ("B-200", 0, 20, 1, 200), ("D-400", 0, 25, 1, 50)),
              widths=(14, 12, 14, 16, 8), table="Stock"),
        Sheet("Purchases", (("采购单号 PO No", "供应商 Supplier", "料号 Part No", "未到货数量 Open Qty",
                             "预计到货日期 Due Date"),
                            ("PUR-301", "Acme Semi", "IC-7", 1000, d(2026, 11, 25)),
                            ("PUR-302", "Shenzhen PCB", "PCB-1", 500, d(2026, 11, 24))),
              widths=(14, 16, 12, 16, 18), table="Purchases"),
        Sheet("Capacity", (("产线 Line", "每日工时 Hours Per Day"), ("SMT-1", 16), ("ASSY-1", 8)),
              widths=(12, 16), table="Capacity"),
        Sheet("Routing", (("料号 Part No", "产线 Line", "单件工时 Hours Per Unit"),
                          ("A-100", "SMT-1", 0.02), ("A-100", "ASSY-1", 0.01), ("C-300", "SMT-1", 0.05),
                          ("B-200", "ASSY-1", 0.01), ("D-400", "ASSY-1", 0.05)),
              widths=(12, 12, 18), table="Routing"),
    ]


def ledger_template_bytes() -> bytes:
    sheet = Sheet("Orders", _ledger_rows(), LEDGER_BUTTONS,
                  widths=(12, 12, 10, 10, 12, 14, 14, 12, 10, 10, 10, 12, 24), table=LEDGER_TABLE,
                  choices=ledger_choices())
    return _template_bytes([sheet, *plan_sheets()], "OrderDesk order ledger")


def review_template_bytes() -> bytes:
    d = _dt.date
    orders = Sheet("Orders", (
        ("订单号 Order No", "行号 Line", "客户 Customer", "料号 Part No", "版本 Rev", "订单数量 Qty",
         "单价 Unit Price", "币种 Currency", "订单日期 Order Date", "客户交期 Requested Date"),
        ("PO-2001", "1", "ACME", "A-100", "B", 500, 1.10, "USD", d(2026, 11, 2), d(2026, 12, 4)),
        ("PO-2001", "2", "ACME", "B-200", "A", 100, 2.60, "USD", d(2026, 11, 2), d(2026, 11, 6)),
    ), ("ContractReview", "PromiseDate"), widths=(12, 6, 10, 10, 6, 10, 10, 8, 12, 14), table="PoLines")
    quotes = Sheet("Quotes", (
        ("报价单号 Quote No", "客户 Customer", "料号 Part No", "版本 Rev", "起订量 Break Qty", "单价 Unit Price",
         "币种 Currency", "交期天数 Lead Time", "MOQ", "模具费 Tooling", "有效期至 Valid Until"),
        ("Q-01", "ACME", "A-100", "B", 100, 1.20, "USD", 15, 100, None, d(2026, 12, 31)),
        ("Q-01", "ACME", "A-100", "B", 500, 1.10, "USD", 15, 100, None, d(2026, 12, 31)),
        ("Q-02", "ACME", "B-200", "A", 200, 2.50, "USD", 20, 200, 300, d(2026, 12, 31)),
    ), widths=(12, 10, 10, 6, 10, 10, 8, 10, 8, 10, 14), table="Quotes")
    return _template_bytes([orders, quotes], "OrderDesk contract review")


def _write_atomic(path: Path, data: bytes) -> None:
    """Through ``addin.files.atomic.atomic_write``: temp file in the same folder, reopened (.xlsm), moved into
    place, the previous build kept as ``<stem>.bak<suffix>``, refused while open in Excel."""
    from addin.files.atomic import atomic_write
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def build(out_dir: Path | None = None, lang: str = "en") -> list[Path]:
    """Write ``OrderDesk.xlam``, ``OrderLedger.xlsm`` and ``ContractReview.xlsm`` into
    ``out_dir`` (default ``workbook_templates/``). Refuses to build from stale generated VBA."""
    stale = stale_generated()
    if stale:
        from addin.i18n import t
        raise FileError(t("addin.generated_stale", lang, names=", ".join(p.name for p in stale)))
    out_dir = Path(out_dir) if out_dir else TEMPLATES
    outputs = {ADDIN_NAME: addin_bytes(), "OrderLedger.xlsm": ledger_template_bytes(),
               "ContractReview.xlsm": review_template_bytes()}
    written = []
    for name, data in outputs.items():
        _write_atomic(out_dir / name, data)
        written.append(out_dir / name)
    return written
