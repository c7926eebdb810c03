"""Reading guards, isolation and atomic output (addin/files/) on real hostile files."""
from __future__ import annotations

import codecs
import os
import random
import re
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from addin.errors import FileError, InputError
from addin.files.atomic import atomic_write
from addin.files.guard import Limits, inspect_input, sha256_file
from addin.files.isolate import run_isolated
from addin.files.text import clean_cell_text, col_letters, safe_sheet_name
from tests import hostile

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
MEM_MB = 400  # every guard runs in a child limited to this much new memory

REFUSED_MESSAGES = {
    "make_billion_laughs": "billion-laughs.xlsx: part 'xl/sharedStrings.xml' declares XML entities (<!DOCTYPE>), which Excel never writes and which can make readers leak files or exhaust memory — not reading it; ask the sender for a fresh copy saved from Excel",
    "make_xxe": "xxe.xlsx: part 'xl/worksheets/sheet1.xml' declares XML entities (<!DOCTYPE>), which Excel never writes and which can make readers leak files or exhaust memory — not reading it; ask the sender for a fresh copy saved from Excel",
    "make_deflate_bomb": "deflate-bomb.xlsx: part 'xl/sharedStrings.xml' expands from 299 KB to 300 MB, far more than a real workbook compresses — the file is damaged or built to attack spreadsheet readers; ask the sender for a fresh copy saved from Excel",
    "make_sparse_bomb": "sparse-bomb.xlsx: sheet 'Sheet1' has a stray cell at XFD1048576 far outside its data (A1:A1) — delete it or copy the data to a new sheet",
    "make_truncated": "truncated.xlsx: the workbook is damaged or truncated (incomplete download?) — ask the sender for the file again",
    "make_empty": "empty.xlsx: the file is empty (0 bytes) — ask the sender for the file again",
    "make_random_bytes": "random.xlsx: is not an Excel workbook or CSV file — check that you attached the right file",
    "make_csv_renamed": "orders.xlsx: this is CSV text, not an Excel workbook — rename it to .csv",
    "make_xls_renamed": "legacy.xlsx: this is an old Excel 97-2003 workbook (.xls), not .xlsx — rename it to .xls",
    "make_encrypted": "encrypted.xlsx: encrypted — save it without a password",
}


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Each hostile file built once per session (the bombs take seconds to make)."""
    cache: dict[str, Path] = {}

    def get(make) -> Path:
        if make.__name__ not in cache:
            cache[make.__name__] = make(tmp_path_factory.mktemp(make.__name__))
        return cache[make.__name__]
    return get


def test_every_refused_file_has_a_message():
    assert sorted(REFUSED_MESSAGES) == sorted(m.__name__ for m in hostile.REFUSED)
    assert hostile.ALL == hostile.REFUSED + hostile.READABLE


@pytest.mark.parametrize("make", hostile.REFUSED, ids=lambda m: m.__name__[5:])
def test_hostile_file_is_refused_with_its_message(built, make):
    path = built(make)
    before = sha256_file(path)
    with pytest.raises(FileError) as err:
        run_isolated(inspect_input, path, memory_mb=MEM_MB, timeout=120)
    assert str(err.value) == REFUSED_MESSAGES[make.__name__]
    assert err.value.file == str(path)
    assert sha256_file(path) == before


def test_xxe_secret_appears_in_no_output(built):
    path = built(hostile.make_xxe)
    assert (path.parent / "xxe-secret.txt").read_text() == hostile.XXE_SECRET
    with pytest.raises(FileError) as err:
        inspect_input(path)
    for text in (str(err.value), repr(err.value), str(err.value.args), str(err.value.file)):
        assert hostile.XXE_SECRET not in text


@pytest.mark.parametrize("make", hostile.READABLE, ids=lambda m: m.__name__[5:])
def test_readable_awkward_files_pass(built, make):
    path = built(make)
    before = sha256_file(path)
    info = run_isolated(inspect_input, path, memory_mb=MEM_MB, timeout=120)
    assert info.kind == "xlsx" and info.size == path.stat().st_size
    extents = {s.name: (s.max_row, s.max_col) for s in info.sheets}
    expected = {
        "make_200_sheets": {f"S{i:03d}": (2, 1) for i in range(1, 201)},
        "make_long_cell": {"Sheet1": (2, 1)},
        "make_control_chars": {"Sheet1": (1, 2)},
        # the million formatted rows hold no cells: the extent is the data, not the formatting
        "make_million_empty_rows": {"Sheet1": (2, 2)},
    }[make.__name__]
    assert extents == expected
    assert info.sha256 == before == sha256_file(path)


def test_benign_workbook_passes_with_its_extent(built):
    info = inspect_input(built(hostile.make_benign))
    assert (info.kind, [(s.name, s.ref) for s in info.sheets]) == ("xlsx", [("Orders", "A1:C3")])


# --- run_isolated -------------------------------------------------------------------------------

def _abort():
    os.abort()


def test_run_isolated_turns_sigabrt_into_file_error():
    with pytest.raises(FileError) as err:
        run_isolated(_abort, file=Path("/x/book.xlsx"))
    assert str(err.value) == ("book.xlsx: could not be read safely — the reader crashed (SIGABRT), out of memory"
                              " (limit 3,000 MB) or on damaged data; open it in Excel, save a fresh copy and try again")


def test_calamine_abort_on_sparse_bomb_is_contained(built):
    path = built(hostile.make_sparse_bomb)

    def read_with_calamine(p: Path):
        from python_calamine import CalamineWorkbook
        return CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python()
    with pytest.raises(FileError) as err:
        run_isolated(read_with_calamine, path, memory_mb=MEM_MB, timeout=120)
    assert str(err.value) == ("sparse-bomb.xlsx: could not be read safely — the reader crashed (SIGABRT), out of"
                              " memory (limit 400 MB) or on damaged data; open it in Excel, save a fresh copy and try again")
    assert "memory allocation" in err.value.detail  # calamine's own words, kept for the log


def test_run_isolated_returns_the_result_and_reraises_errors_as_they_were():
    assert run_isolated(lambda a, b=0: {"sum": a + b}, 2, b=3) == {"sum": 5}

    def bad_cell():
        raise InputError("Orders!D17: due date '31/02/2026' is not a date", file="l.xlsx", cell="D17")
    with pytest.raises(InputError) as err:
        run_isolated(bad_cell)
    assert (str(err.value), err.value.file, err.value.cell) == ("Orders!D17: due date '31/02/2026' is not a date", "l.xlsx", "D17")

    def plain():
        raise KeyError("qty")
    with pytest.raises(KeyError):
        run_isolated(plain)


def test_run_isolated_bounds_memory_and_time(tmp_path):
    book = tmp_path / "big.xlsx"
    with pytest.raises(FileError) as err:
        run_isolated(lambda p: bytearray(1500 * 1024 * 1024), book, memory_mb=200)
    assert str(err.value) == ("big.xlsx: could not be read safely — reading it needed more than 200 MB of memory;"
                              " open it in Excel, save a fresh copy and try again")
    import time
    with pytest.raises(FileError) as err:
        run_isolated(time.sleep, 30, timeout=0.5, file=book)
    assert str(err.value) == ("big.xlsx: could not be read safely — reading it took longer than 0.5 seconds;"
                              " open it in Excel, save a fresh copy and try again")


# --- more inspect_input ----------------------------------------------------------------------------

def _copy_as(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    return dst


def test_renamed_files_say_what_they_really_are(built, tmp_path):
    xlsx = built(hostile.make_benign)
    xls = built(hostile.make_xls_renamed)
    cases = {
        _copy_as(xlsx, tmp_path / "orders.csv"): "orders.csv: this is an Excel workbook (.xlsx), not CSV text — rename it to .xlsx",
        _copy_as(xlsx, tmp_path / "orders.xls"): "orders.xls: this is an Excel workbook (.xlsx) with an .xls name — rename it to .xlsx",
        _copy_as(xls, tmp_path / "old.csv"): "old.csv: this is an Excel 97-2003 workbook (.xls), not CSV text — rename it to .xls",
    }
    for path, message in cases.items():
        with pytest.raises(FileError) as err:
            inspect_input(path)
        assert str(err.value) == message
    assert inspect_input(_copy_as(xlsx, tmp_path / "macro.xlsm")).kind == "xlsx"
    assert inspect_input(_copy_as(xls, tmp_path / "old.xls")).kind == "xls"


def test_text_files(tmp_path):
    gb = tmp_path / "订单.csv"
    gb.write_bytes("订单号,数量\nPO-1,5\n".encode("gb18030"))
    assert (inspect_input(gb).kind, inspect_input(gb).encoding) == ("csv", "gb18030")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(codecs.BOM_UTF8 + "part,qty\n电阻,5\n".encode())
    assert inspect_input(bom).encoding == "utf-8-sig"
    plain = tmp_path / "plain.txt"
    plain.write_text("a;b\n1;2\n", encoding="utf-8")
    assert inspect_input(plain).encoding == "utf-8"
    refused = {
        "unicode.csv": ("\ufeffa\tb\n".encode("utf-16-le"),
                        "unicode.csv: this is UTF-16 text (Excel's 'Unicode Text') — save it as 'CSV UTF-8' instead"),
        "erp.xls": (b"<html><body><table><tr><td>PO-1</td></tr></table></body></html>",
                    "erp.xls: this is a web page (HTML), not a workbook — open it in Excel and save it as .xlsx"),
        "bin.csv": (b"a,b\n\x00\x01\x02",
                    "bin.csv: is not an Excel workbook or CSV file — check that you attached the right file"),
    }
    for name, (data, message) in refused.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(FileError) as err:
            inspect_input(tmp_path / name)
        assert str(err.value) == message


def test_missing_folder_lockfile_and_expected_kinds(tmp_path, built):
    cases = {
        tmp_path / "nope.xlsx": f"nope.xlsx: no such file in {tmp_path} — check the name and the folder",
        tmp_path: f"{tmp_path.name}: is a folder, not a file — give the path of a workbook",
    }
    lock = tmp_path / "~$orders.xlsx"
    lock.write_bytes(b"\x0bsomeone    " + b"\x00" * 40)
    cases[lock] = "~$orders.xlsx: this is Excel's lock file, not a workbook — use orders.xlsx instead"
    for path, message in cases.items():
        with pytest.raises(FileError) as err:
            inspect_input(path)
        assert str(err.value) == message
    csv = tmp_path / "cap.csv"
    csv.write_text("line,hours\nL1,8\n")
    with pytest.raises(FileError) as err:
        inspect_input(csv, expected={"xlsx", "xls"})
    assert str(err.value) == ("cap.csv: this is CSV text, but an Excel workbook (.xlsx) or an Excel 97-2003"
                              " workbook (.xls) is needed here — open it in Excel and save it in that format")
    assert inspect_input(built(hostile.make_benign), expected={"xlsx"}).kind == "xlsx"


def test_zip_limits_are_configurable(built):
    path = built(hostile.make_benign)
    with pytest.raises(FileError) as err:
        inspect_input(path, limits=Limits(max_entries=5))
    assert str(err.value) == ("benign.xlsx: has 10 parts inside, far more than a real workbook (5) — ask the sender"
                              " for a fresh copy saved from Excel")
    with zipfile.ZipFile(path) as zf:
        declared = sum(i.file_size for i in zf.infolist())
    with pytest.raises(FileError) as err:
        inspect_input(path, limits=Limits(max_uncompressed=2048))
    assert str(err.value) == (f"benign.xlsx: would expand to {declared / 1024:,.0f} KB when opened, more than"
                              f" OrderDesk reads (2 KB) — ask the sender for a smaller file")


def test_corrupt_member_is_damaged(built, tmp_path):
    data = bytearray(built(hostile.make_benign).read_bytes())
    with zipfile.ZipFile(built(hostile.make_benign)) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10] ^= 0xFF  # flip bits inside the compressed sheet: CRC or inflate fails
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(FileError) as err:
        inspect_input(path)
    assert str(err.value) == ("corrupt.xlsx: the workbook is damaged or truncated (incomplete download?)"
                              " — ask the sender for the file again")


@pytest.mark.parametrize("cell", ['<c r="XFD1048576">', "<c s='1' r='XFD1048576'>", '<c r = "XFD1048576">',
                                  '<c r="&#88;FD1048576">', '<c\n r="XFD1048576" t="n">'])
def test_stray_cell_found_whatever_the_xml_spelling(tmp_path, cell):
    # big enough (> 64 KB) that the vectorised path runs, with the stray cell mid-sheet
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>1</v></c></row>' for r in range(1, 3000))
    rows += f'<row r="3000">{cell}<v>9</v></c></row>'
    rows += "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(3001, 3500))
    path = hostile.build_xlsx(tmp_path / "stray.xlsx", {"Data": hostile.sheet_xml(rows, "A1:B3499")})
    with pytest.raises(FileError) as err:
        inspect_input(path)
    assert str(err.value) == ("stray.xlsx: sheet 'Data' has a stray cell at XFD1048576 far outside its data"
                              " (A1:B3499) — delete it or copy the data to a new sheet")


def test_cells_beyond_excel_and_genuinely_large_sheets(tmp_path):
    path = hostile.build_xlsx(tmp_path / "beyond.xlsx", {"S": hostile.sheet_xml('<row r="1"><c r="XFE1"><v>1</v></c></row>')})
    with pytest.raises(FileError) as err:
        inspect_input(path)
    assert str(err.value) == ("beyond.xlsx: sheet 'S' has a cell at XFE1, beyond the last cell Excel allows"
                              " (XFD1048576) — the file is damaged; ask the sender for a fresh copy saved from Excel")
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{col_letters(c)}{r}"><v>1</v></c>' for c in range(1, 4)) + "</row>"
                   for r in range(1, 4))
    path = hostile.build_xlsx(tmp_path / "dense.xlsx", {"S": hostile.sheet_xml(rows)})
    with pytest.raises(FileError) as err:
        inspect_input(path, limits=Limits(max_cells=8))
    assert str(err.value) == ("dense.xlsx: sheet 'S' has data up to C3 (3 rows × 3 columns), more than OrderDesk"
                              " reads (8 cells) — split it or delete unused rows and columns")


def test_extent_matches_a_plain_regex_on_shuffled_cells(tmp_path):
    rng = random.Random(7)
    refs = [f"{col_letters(rng.randint(1, 700))}{rng.randint(1, 80_000)}" for _ in range(20_000)]
    rows = "".join(f'<row r="{i + 1}"><c r="{ref}" s="1"><v>1</v></c></row>' for i, ref in enumerate(refs))
    path = hostile.build_xlsx(tmp_path / "shuffled.xlsx", {"S": hostile.sheet_xml(rows)})
    info = inspect_input(path)
    parsed = [re.fullmatch(r"([A-Z]+)(\d+)", r).groups() for r in refs]
    want_col = max(sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(c))) for c, _ in parsed)
    assert (info.sheets[0].max_row, info.sheets[0].max_col) == (max(int(r) for _, r in parsed), want_col)


REAL_FILES = sorted(p for p in REAL.glob("*") if p.suffix.lower() in {".csv", ".xlsx", ".xls"}) if REAL.is_dir() else []


@pytest.mark.realdata
@pytest.mark.parametrize("path", REAL_FILES or [None], ids=lambda p: p.name if p else "absent")
def test_real_files_pass(path):
    if path is None:
        if os.environ.get("ORDERDESK_REQUIRE_ALL") == "1":
            pytest.fail(f"real data folder {REAL} is missing")
        pytest.skip("real data folder absent")
    info = inspect_input(path)
    assert info.kind == {".csv": "csv", ".xlsx": "xlsx", ".xls": "xls"}[path.suffix.lower()]


# --- atomic_write -------------------------------------------------------------------------------

def _xlsx_writer(text: str):
    def write(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        wb.add_worksheet("Report").write_string(0, 0, text)
        wb.close()
    return write


def _cell_a1(path: Path) -> str:
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return next(wb.active.iter_rows(values_only=True))[0]
    finally:
        wb.close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".~orderdesk-"))


def test_atomic_write_replaces_and_keeps_a_backup(tmp_path):
    out = tmp_path / "report.xlsx"
    assert atomic_write(out, _xlsx_writer("=first")) == out
    assert _cell_a1(out) == "=first" and not (tmp_path / "report.bak.xlsx").exists()
    atomic_write(out, _xlsx_writer("second"))
    assert (_cell_a1(out), _cell_a1(tmp_path / "report.bak.xlsx")) == ("second", "=first")
    assert _leftovers(tmp_path) == []


def test_atomic_write_failure_leaves_the_old_file(tmp_path):
    out = tmp_path / "report.xlsx"
    atomic_write(out, _xlsx_writer("good"))
    before = sha256_file(out)

    def crash_midway(tmp: Path) -> None:
        tmp.write_bytes(b"PK\x03\x04 half a zip")
        raise RuntimeError("writer bug")
    with pytest.raises(RuntimeError, match="writer bug"):
        atomic_write(out, crash_midway)
    assert sha256_file(out) == before and _leftovers(tmp_path) == []

    with pytest.raises(FileError) as err:
        atomic_write(out, lambda tmp: tmp.write_bytes(b"PK\x03\x04 half a zip"))
    assert str(err.value) == ("report.xlsx: the new file failed its check (BadZipFile: File is not a zip file)"
                              " — the previous file was left unchanged")
    assert sha256_file(out) == before and _leftovers(tmp_path) == []
    assert not (tmp_path / "report.bak.xlsx").exists()  # nothing was replaced, so no backup


def test_atomic_write_refuses_locked_inputs_and_missing_folders(tmp_path):
    out = tmp_path / "report.xlsx"
    (tmp_path / "~$report.xlsx").write_bytes(b"owner")
    with pytest.raises(FileError) as err:
        atomic_write(out, _xlsx_writer("x"))
    assert str(err.value) == "report.xlsx is open in Excel — close it and run again"
    assert not out.exists() and _leftovers(tmp_path) == []

    ledger = tmp_path / "ledger.xlsx"
    atomic_write(ledger, _xlsx_writer("orders"))
    with pytest.raises(FileError) as err:
        atomic_write(tmp_path / "." / "ledger.xlsx", _xlsx_writer("x"), inputs=[ledger])
    assert str(err.value) == ("ledger.xlsx is one of the input files — choose a different output name so the"
                              " input is not overwritten")
    assert _cell_a1(ledger) == "orders"

    with pytest.raises(FileError) as err:
        atomic_write(tmp_path / "missing" / "r.xlsx", _xlsx_writer("x"))
    assert str(err.value) == (f"r.xlsx: the folder {tmp_path / 'missing'} does not exist — create it or choose"
                              f" another output folder")


def test_atomic_write_temp_name_and_custom_validate(tmp_path):
    seen = []

    def write(tmp: Path) -> None:
        seen.append(tmp.name)
        tmp.write_text("a,b\n")
    atomic_write(tmp_path / "out.csv", write, validate=lambda p: seen.append(p.read_text()))
    assert re.fullmatch(r"\.~orderdesk-out-[0-9a-f]{8}\.csv", seen[0]) and seen[1] == "a,b\n"
    assert (tmp_path / "out.csv").read_text() == "a,b\n"


# --- text helpers -------------------------------------------------------------------------------

def test_safe_sheet_name():
    assert safe_sheet_name("Q1/Q2: [draft]*?", set()) == "Q1Q2 draft"
    assert safe_sheet_name("  'quoted'  ", set()) == "quoted"
    assert safe_sheet_name("", set()) == "Sheet"
    assert safe_sheet_name("history", set()) == "history (2)"
    long = "客户交期明细" * 10
    assert safe_sheet_name(long, set()) == long[:31]
    assert safe_sheet_name(long, {long[:31].upper()}) == long[:27] + " (2)"
    existing = {"Orders", "ORDERS (2)"}
    assert safe_sheet_name("orders", existing) == "orders (3)"
    assert safe_sheet_name("orders", existing) == safe_sheet_name("orders", set(existing))


def test_clean_cell_text():
    assert clean_cell_text("PO\x01-1\x07\tok\r\n\x1f") == ("PO-1\tok\r\n", False)
    assert clean_cell_text("=SUM(A1)") == ("=SUM(A1)", False)
    text, cut = clean_cell_text("x" * 40_000)
    assert (len(text), cut) == (32_767, True)
    text, cut = clean_cell_text("😀" * 20_000)  # two UTF-16 units each: Excel counts 40,000
    assert (len(text), cut) == (16_383, True)
