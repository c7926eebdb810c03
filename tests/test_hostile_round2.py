"""Issue 14, file-level classes: every file of the round-two corpus (tests/hostile.py) through the
commands users run — exit 1, one `Error:` line with the exact text, no traceback, no signal, no
internal error, the file untouched; the guard's extent equals the parser's on generated sheets;
option files at a pipe or a device; outputs on a full disk, a read-only folder, a name too long;
leftovers of killed runs swept."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from addin.errors import ConfigError, FileError
from addin.files import atomic
from addin.files.guard import check_option_file, inspect_input
from addin.files.text import col_letters
from tests import hostile

STRAY = "has a stray cell at {cell} far outside its data ({data}) — delete it or copy the data to a new sheet"
PANIC = ("cannot be read — the spreadsheet reader failed on damaged or out-of-range data (such as a date far"
         " outside the years 1900-9999); open it in Excel, check such cells, save a fresh copy and try again")
XLS_CUT = ("the workbook is damaged or cut short (its sheets end outside the file) — ask the sender for the file"
           " again, or open it in Excel and save it as .xlsx")
METHOD = ("part '[Content_Types].xml' is compressed with {m}, which Excel never writes — open the file in Excel"
          " and save it again, or ask the sender for a fresh copy saved from Excel")

MESSAGES = {
    "make_strict_ooxml": "strict.xlsx: sheet 'Sheet1' " + STRAY.format(cell="XFD1048576", data="A1:A1"),
    "make_foreign_r_prefix": "r-prefix.xlsx: sheet 'Sheet1' " + STRAY.format(cell="XFD1048576", data="A1:A1"),
    "make_rels_target_case": "target-case.xlsx: sheet 'Sheet1' " + STRAY.format(cell="XFD1048576", data="A1:A1"),
    "make_rels_other_namespace": "rels-namespace.xlsx: sheet 'Sheet1' " + STRAY.format(cell="XFD1048576", data="A1:A1"),
    "make_cell_without_r": "no-r.xlsx: sheet 'Sheet1' " + STRAY.format(cell="A1048576", data="A1:A1"),
    "make_utf16_sheet": "utf16-sheet.xlsx: sheet 'Sheet1' " + STRAY.format(cell="XFD1048576", data="A1:A1"),
    "make_utf32_part": ("utf32.xlsx: part 'xl/worksheets/sheet1.xml' is UTF-32 text, which Excel never writes"
                        " — ask the sender for a fresh copy saved from Excel"),
    "make_lzma_member": "lzma.xlsx: " + METHOD.format(m="LZMA"),
    "make_bzip2_member": "bzip2.xlsx: " + METHOD.format(m="bzip2"),
    "make_date_far_negative": "date-minus-1e12.xlsx: " + PANIC,
    "make_date_minus_inf": "date-minus-inf.xlsx: " + PANIC,
    "make_xls_bad_boundsheet": "bad-boundsheet.xls: " + XLS_CUT,
    "make_xls_short_directory": "short-stream.xls: " + XLS_CUT,
    "make_xls_bad_dimensions": ("bad-dimensions.xls: the workbook is damaged (sheet 'Orders' declares a size no"
                                " sheet can have) — ask the sender for the file again, or open it in Excel and"
                                " save it as .xlsx"),
    "make_xls_far_cell": "far-cell.xls: sheet 'Orders' " + STRAY.format(cell="IV65536", data="A1:E121"),
    "make_xls_damaged": ("damaged.xls: the workbook is damaged or truncated (incomplete download?) — ask the sender"
                         " for the file again"),
    "make_csv_unclosed_quote": ("unclosed-quote.csv: line 3: a quote opened on this line is never closed, so the rest"
                                " of the file (lines 3-8) would be read as one cell — close or remove the quote and"
                                " save the file again"),
    "make_csv_swallowed_lines": ("swallowed.csv: line 3: the quote that opens column B is not closed until line 6, so"
                                 " lines 3-6 were read as one row — close or remove the stray quote and save the"
                                 " file again"),
    "make_csv_wide_first_line": ("wide.csv: line 1 has 5,000,000 fields, more than the 16,384 columns a sheet can"
                                 " hold — check that the file is separated by ',' and that its quotes are closed"),
    "make_csv_unknown_encoding": ("unknown-encoding.csv: the text encoding cannot be told (neither UTF-8 nor a"
                                  " recognisable Chinese or Western encoding) — save it as 'CSV UTF-8' and try again"),
}
# the five kinds that aborted the whole process (SIGABRT) on every command
ABORTED = [hostile.make_strict_ooxml, hostile.make_foreign_r_prefix, hostile.make_rels_target_case,
           hostile.make_rels_other_namespace, hostile.make_cell_without_r]
EXTRA = {"check": [], "otd": ["--as-of", "2026-11-20"], "report": ["--month", "2026-10", "--out", "{tmp}/report.xlsx"],
         "risk": ["--out", "{tmp}/risk.xlsx"], "review": ["--out", "{tmp}/review.xlsx"]}


def _limit_memory():   # 2 GiB for the whole command: an amplified read fails instead of swapping
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def cli(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_limit_memory)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("round2")
    return {make.__name__: make(folder) for make in hostile.ROUND2_REFUSED + hostile.ROUND2_READABLE}


def test_every_refused_file_has_its_message():
    assert sorted(MESSAGES) == sorted(m.__name__ for m in hostile.ROUND2_REFUSED)


def _one_error_line(out: subprocess.CompletedProcess, message: str) -> None:
    assert out.returncode == 1, (out.returncode, out.stderr[-2000:])
    assert out.stderr == f"Error: {message}\n"
    assert "Traceback" not in out.stdout and "panicked" not in out.stdout


@pytest.mark.parametrize("make", hostile.ROUND2_REFUSED, ids=lambda m: m.__name__[5:])
def test_refused_by_check_with_one_exact_line(corpus, make, tmp_path):
    path = corpus[make.__name__]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    started = time.monotonic()
    _one_error_line(cli("check", path), MESSAGES[make.__name__])
    assert time.monotonic() - started < 60     # the 5,000,000-field line took 147 s
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("command", ["otd", "report", "risk"])
@pytest.mark.parametrize("make", ABORTED, ids=lambda m: m.__name__[5:])
def test_files_that_aborted_every_command_are_refused_by_each(corpus, make, command, tmp_path):
    path = corpus[make.__name__]
    out = cli(command, path, *[a.format(tmp=tmp_path) for a in EXTRA[command]])
    _one_error_line(out, MESSAGES[make.__name__])
    assert not list(tmp_path.glob("*.xlsx"))


def test_latin1_csv_is_read_as_latin1_and_says_so(corpus):
    out = cli("check", corpus["make_csv_latin1"], "--format", "json")
    assert (out.returncode, out.stderr) == (0, "")
    report = json.loads(out.stdout)
    assert report["notes"][0] == ("read as Windows-1252 (Western European) text — if letters look wrong, save the"
                                  " file as 'CSV UTF-8' and try again")
    from addin.readers import read
    assert list(read(corpus["make_csv_latin1"]).data["customer"]) == ["Müller Straße GmbH", "Café Zoë"]
    assert inspect_input(corpus["make_csv_latin1"]).encoding == "cp1252"


def test_gb18030_csv_still_read_as_gb18030(corpus):
    from addin.readers import read
    result = read(corpus["make_csv_gb18030"])
    assert list(result.data["customer"]) == ["深圳市某某电子有限公司", "客户甲"]
    assert result.notes[0].startswith("read as GB18030 (Chinese) text")


def test_a_panic_in_process_is_one_file_error_and_prints_nothing(corpus, capfd):
    from addin.readers.grid import load_grid
    capfd.readouterr()
    with pytest.raises(FileError) as err:
        load_grid(corpus["make_date_far_negative"])
    assert str(err.value) == MESSAGES["make_date_far_negative"]
    assert "TimeDelta" in err.value.detail            # the panic is kept for logs
    assert capfd.readouterr().err == ""               # and not printed


@pytest.mark.skipif(not hasattr(os, "fork"), reason="isolation needs fork")
def test_an_xls_the_guard_misses_cannot_take_the_process_down(corpus, monkeypatch):
    """.xls files are parsed in a forked child: were the record walk to miss a damage, the parser's
    abort is still one FileError."""
    from addin.files import guard
    from addin.readers import grid
    monkeypatch.setattr(guard, "_check_biff", lambda *args: None)
    grid._INSPECTED.clear()
    path = corpus["make_xls_bad_dimensions"]
    try:
        with pytest.raises(FileError) as err:
            grid.sheet_names(path)
    finally:
        grid._INSPECTED.clear()
    assert str(err.value) == ("bad-dimensions.xls: could not be read safely — the reader crashed (SIGABRT), out of"
                              " memory (limit 2,000 MB) or on damaged data; open it in Excel, save a fresh copy"
                              " and try again")


# --- the guard places cells as the parser does ------------------------------------------------------

def _random_sheet(rng: random.Random) -> str:
    """Rows with or without r, cells with or without r, r first or later, prefixes and spacing."""
    parts, row = [], 0
    for _ in range(rng.randint(1, 25)):
        row = row + rng.randint(1, 40) if rng.random() < 0.8 else row + 1
        tag = rng.choice(["row", "row", "x:row"])
        attrs = f' r="{row}"' if rng.random() < 0.7 else ""
        cells, col = [], 0
        for _ in range(rng.randint(0, 8)):
            col += rng.randint(1, 30)
            ctag = "x:c" if tag == "x:row" else "c"
            form = rng.random()
            if form < 0.45:
                r = f' r="{col_letters(col)}{row if rng.random() < 0.9 else rng.randint(1, 200)}"'
            elif form < 0.55:
                r = f" s='1' r = '{col_letters(col)}{row}'"
            else:
                r = ""          # placed after the previous cell of the row
            cells.append(f"<{ctag}{r}><{ctag[:-1]}v>{rng.randint(0, 9)}</{ctag[:-1]}v></{ctag}>")
        parts.append(f"<{tag}{attrs}>{''.join(cells)}</{tag}>")
    body = "".join(parts)
    return (f'<?xml version="1.0"?><x:worksheet xmlns:x="{hostile.MAIN_NS}"><x:sheetData>{body}'
            f"</x:sheetData></x:worksheet>") if "x:row" in body else hostile.raw_sheet(body)


def test_guard_extent_equals_the_parsers_on_generated_sheets(tmp_path):
    from python_calamine import CalamineWorkbook
    rng = random.Random(20261202)
    checked = 0
    for i in range(250):
        sheet = _random_sheet(rng)
        path = hostile.build_raw_xlsx(tmp_path / f"s{i}.xlsx", hostile.workbook_xml(), hostile.rels_xml(),
                                      {"xl/worksheets/sheet1.xml": sheet})
        ext = inspect_input(path).sheets[0]
        parsed = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        end = parsed.end
        want = (end[0] + 1, end[1] + 1) if end is not None and parsed.to_python() else (0, 0)
        assert (ext.max_row, ext.max_col) == want, sheet
        checked += 1
    assert checked == 250


def test_large_sheet_with_cells_without_r_in_its_middle(tmp_path):
    """The vectorised path (> 64 KB) hands a segment with cells lacking r to the exact one."""
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>1</v></c></row>' for r in range(1, 3000))
    rows += '<row r="3000"><c r="XFD3000"><v>1</v></c></row><row r="1048576"><c><v>9</v></c></row>'
    path = hostile.build_xlsx(tmp_path / "mid.xlsx", {"Data": hostile.sheet_xml(rows, "A1:B3000")})
    with pytest.raises(FileError) as err:
        inspect_input(path)
    assert str(err.value) == "mid.xlsx: sheet 'Data' " + STRAY.format(cell="A1048576", data="A1:B3000")


def test_an_unlisted_part_with_cells_is_checked_too(tmp_path):
    path = hostile.build_raw_xlsx(tmp_path / "hidden.xlsx", hostile.workbook_xml(), hostile.rels_xml(),
                                  {"xl/worksheets/sheet1.xml": hostile.raw_sheet('<row r="1"><c r="A1"><v>1</v></c></row>'),
                                   "xl/worksheets/Sheet9.xml": hostile.raw_sheet()})
    with pytest.raises(FileError) as err:
        inspect_input(path)
    assert str(err.value) == ("hidden.xlsx: the sheet in part 'xl/worksheets/Sheet9.xml' "
                              + STRAY.format(cell="XFD1048576", data="A1:A1"))


# --- option files ---------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("option,what", [("--map", "mapping file"), ("--config", "configuration file")])
@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
def test_option_file_at_a_pipe_or_device_is_refused_at_once(tmp_path, option, what, target):
    if target == "fifo":
        target = tmp_path / "m.toml"
        os.mkfifo(target)
    ledger = hostile.make_csv_gb18030(tmp_path)
    started = time.monotonic()
    out = cli("otd", ledger, option, target, "--as-of", "2026-03-20", timeout=30)
    assert time.monotonic() - started < 20
    name = Path(target).name
    assert out.returncode == 1 and out.stderr == (f"Error: {name}: is not a regular file (a pipe or a device) — give"
                                                  f" the path of the {what} (.toml)\n")


def test_option_file_too_big_or_a_folder(tmp_path):
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (2 << 20))
    with pytest.raises(ConfigError) as err:
        check_option_file(big, "mapping file")
    assert str(err.value) == ("big.toml: is 2 MB, far more than a mapping file (at most 1 MB) — check that the"
                              " path names the right file")
    with pytest.raises(ConfigError) as err:
        check_option_file(tmp_path, "mapping file")
    assert str(err.value) == f"{tmp_path.name}: is a folder, not a mapping file — give the path of the .toml file"
    check_option_file(tmp_path / "absent.toml")      # the loader says 'not found' in its own words


# --- outputs: what the system refuses ----------------------------------------------------------------

def _fail_with(code: int):
    def write(tmp: Path) -> None:
        tmp.write_bytes(b"partial")
        raise OSError(code, os.strerror(code))
    return write


@pytest.mark.parametrize("code,reason", [
    (errno.ENOSPC, "the disk is full (no space left in {folder}) — free some space or choose another output folder"),
    (errno.EROFS, "the folder {folder} is read-only — choose another output folder"),
    (errno.EIO, "the disk reported an input/output error — check the disk or choose another output folder"),
])
def test_system_refusals_while_writing_are_one_clear_error(tmp_path, code, reason):
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"previous")
    with pytest.raises(FileError) as err:
        atomic.atomic_write(out, _fail_with(code))
    assert str(err.value) == (f"report.xlsx: could not be written — {reason.format(folder=tmp_path)}; the previous"
                              f" file was left unchanged")
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_xlsxwriter_wrapped_error_and_read_only_folder(tmp_path, monkeypatch):
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    def write(tmp: Path) -> None:
        raise FileCreateError(OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(FileError) as err:
        atomic.atomic_write(tmp_path / "r.xlsx", write)
    assert "the disk is full" in str(err.value)
    assert xlsxwriter  # the real class, not a stand-in

    real_open = os.open

    def read_only(path, flags, *args):
        if ".~orderdesk-" in str(path) and flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)
    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(FileError) as err:
        atomic.atomic_write(tmp_path / "r.xlsx", lambda tmp: None)
    assert str(err.value) == (f"r.xlsx: cannot write in {tmp_path} — the folder {tmp_path} is read-only — choose"
                              f" another output folder")


def test_a_name_too_long_is_one_error_line(tmp_path):
    ledger = hostile.make_csv_gb18030(tmp_path)
    out = cli("risk", ledger, "--out", tmp_path / ("x" * 300 + ".xlsx"))
    assert out.returncode == 1
    assert out.stderr.endswith(": could not be written — the file name or folder path is too long — choose a shorter"
                               " name or a folder nearer the top; the previous file was left unchanged\n")
    assert out.stderr.count("\n") == 1 and "internal error" not in out.stderr


# --- leftovers of killed runs -----------------------------------------------------------------------

def _aged(path: Path, seconds: float) -> Path:
    path.write_bytes(b"x")
    old = time.time() - seconds
    os.utime(path, (old, old))
    return path


def test_leftovers_of_killed_runs_are_swept_safely(tmp_path, monkeypatch):
    import tempfile
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    out = tmp_path / "out"
    out.mkdir()
    stale = _aged(out / ".~orderdesk-report-1a2b3c4d.xlsx", 2 * 3600)
    fresh = _aged(out / ".~orderdesk-report-5e6f7a8b.xlsx", 60)            # a run writing right now
    locked = _aged(out / ".~orderdesk-risk-00000000.xlsx", 2 * 3600)       # old, but a live run holds it
    other = _aged(out / "~report.xlsx", 2 * 3600)                          # not ours
    arrow = _aged(temp / ".orderdesk-abc123.arrow", 2 * 3600)
    openpyxl_tmp = _aged(temp / "openpyxl.k2j3h4", 2 * 3600)
    held = _aged(temp / "openpyxl.held99", 2 * 3600)
    fd = os.open(locked, os.O_RDONLY)
    atomic.lock_fd(fd)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; f = open(sys.argv[1]); time.sleep(60)",
                               str(held)])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and held not in atomic._open_elsewhere([held]):
            time.sleep(0.05)
        atomic.atomic_write(out / "report.xlsx", lambda tmp: tmp.write_bytes(b"new"), validate=lambda tmp: None)
    finally:
        holder.kill()
        holder.wait()
        os.close(fd)
    assert sorted(p.name for p in out.iterdir()) == sorted([fresh.name, locked.name, other.name, "report.xlsx"])
    assert sorted(p.name for p in temp.iterdir()) == [held.name]
    assert not stale.exists() and not arrow.exists() and not openpyxl_tmp.exists()


# --- option files of the wrong types (item 11): refused when loaded, never at send time -------------------------

@pytest.mark.parametrize("name", sorted(hostile.BAD_TOML))
def test_option_file_of_wrong_types_is_one_error_line(tmp_path, name):
    option, _, message = hostile.BAD_TOML[name]
    path = hostile.make_bad_toml(tmp_path, name)
    runs = ([("check", tmp_path / "ledger.csv", option, path), ("otd", tmp_path / "ledger.csv", option, path,
                                                                 "--as-of", "2026-03-20")]
            if option == "--map" else
            [("monthly", option, path, "--dry-run", "--as-of", "2026-11-01"), ("monthly", option, path, "--as-of",
                                                                              "2026-11-01")])
    for args in runs:
        out = cli(*args)
        assert out.returncode == 1, (args, out.stderr)
        assert out.stderr == f"Error: {path.name}: {message}\n", args
        assert out.stdout == ""
        assert "Traceback" not in out.stderr and "internal error" not in out.stderr
    # nothing was sent or recorded: the check is at load, before any work
    assert not (tmp_path / ".orderdesk-sent.sqlite").exists()
