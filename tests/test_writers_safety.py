"""Writers that never lose data (issue 8): every output OrderDesk writes — `orderdesk report`,
`risk` (copy and --separate), `review`, `demo`, the Excel FileBook save and `orderdesk addin
build` — goes to a temp file in the same folder, is reopened, moved into place atomically, keeps
the previous file as a backup, is refused while open in Excel or when it is one of the inputs,
reads its inputs without writing them, and writes user text as text only."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import openpyxl
import pytest

from addin.cli import main
from addin.errors import FileError
from tests.held import open_files_under
from tests.test_fuzz_support import (HOSTILE, as_read, assert_text_cells, hostile_rows, write_ledger_csv,
                                     write_ledger_xlsx, xlsx_cells)

AS_OF = "2026-04-01"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(".~orderdesk") or p.name.startswith(".~lock")
            or p.suffix == ".tmp"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------ the outputs, each one way to make it

@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    from addin.demo import workbooks
    made = {p.name: p for p in workbooks.write_all(folder)}
    ledger = write_ledger_xlsx(folder / "hostile.xlsx", hostile_rows())
    return {"ledger": ledger, "pos": made["sample_new_pos.xlsx"], "quotes": made["sample_quotes.xlsx"],
            "sample_ledger": made["sample_ledger_en.xlsx"], "folder": folder}


@dataclass
class Output:
    name: str
    file: str                                   # the output file name (inside the folder it writes to)
    make: Callable[[Path, dict], list[str]]     # (out path, inputs) -> command-line args
    inputs: tuple[str, ...]                     # keys of the `inputs` fixture it reads


def _report(out, i):
    return ["report", i["ledger"], "--month", "2026-03", "--as-of", AS_OF, "--out", out, "-q"]


def _risk(out, i):
    return ["risk", i["ledger"], "--as-of", AS_OF, "--out", out, "-q"]


def _risk_separate(out, i):
    return ["risk", i["ledger"], "--as-of", AS_OF, "--separate", "--out", out, "-q"]


def _review(out, i):
    return ["review", i["pos"], "--quotes", i["quotes"], "--as-of", "2026-11-20", "--out", out, "-q"]


COMMAND_OUTPUTS = [Output("report", "report.xlsx", _report, ("ledger",)),
                   Output("risk", "risk.xlsx", _risk, ("ledger",)),
                   Output("risk-separate", "risk-sep.xlsx", _risk_separate, ("ledger",)),
                   Output("review", "review.xlsx", _review, ("pos", "quotes"))]
IDS = [o.name for o in COMMAND_OUTPUTS]

# one internal function per writer that runs after the temp file was opened for writing
FAIL_MIDWAY = {"report": "addin.writers.monthly_sheets.write_summary",
               "risk": "addin.writers.riskcopy._last_used_column",
               "risk-separate": "addin.writers.xlsx.set_widths",
               "review": "addin.writers.reviewbook.set_widths"}


def _boom(*args, **kwargs):
    raise RuntimeError("disk full (simulated)")


def _patch(monkeypatch, dotted: str, replacement) -> None:
    module, attr = dotted.rsplit(".", 1)
    monkeypatch.setattr(sys.modules[module] if module in sys.modules else __import__(module, fromlist=[attr]),
                        attr, replacement)


# ------------------------------------------------------------------ atomic, validated, backed up

@pytest.mark.parametrize("output", COMMAND_OUTPUTS, ids=IDS)
def test_written_reopened_and_previous_kept_as_backup(output, inputs, tmp_path, capsys):
    out = tmp_path / output.file
    code, _, err = run(capsys, *output.make(out, inputs))
    assert code == 0, err
    first = sha(out)
    openpyxl.load_workbook(out, read_only=True).close()
    code, _, err = run(capsys, *output.make(out, inputs))
    assert code == 0, err
    backup = out.with_name(f"{out.stem}.bak{out.suffix}")
    assert backup.is_file() and sha(backup) == first, "the previous output is kept as <stem>.bak.xlsx"
    assert temp_files(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, backup.name])


@pytest.mark.parametrize("output", COMMAND_OUTPUTS, ids=IDS)
def test_failure_midway_leaves_previous_output_and_no_temp_file(output, inputs, tmp_path, capsys, monkeypatch):
    out = tmp_path / output.file
    assert run(capsys, *output.make(out, inputs))[0] == 0
    before = sha(out)
    _patch(monkeypatch, FAIL_MIDWAY[output.name], _boom)
    code, _, err = run(capsys, *output.make(out, inputs))
    assert code == 1 and "RuntimeError: disk full (simulated)" in err and "Traceback" not in err
    assert sha(out) == before
    assert temp_files(tmp_path) == []
    assert not out.with_name(f"{out.stem}.bak{out.suffix}").exists(), "no backup of a write that never happened"


@pytest.mark.parametrize("output", COMMAND_OUTPUTS, ids=IDS)
def test_a_corrupt_new_file_is_caught_by_the_reopen(output, inputs, tmp_path, capsys, monkeypatch):
    """The writer 'succeeds' but leaves a truncated zip: the reopen check refuses it."""
    out = tmp_path / output.file
    assert run(capsys, *output.make(out, inputs))[0] == 0
    before = sha(out)
    import addin.files.atomic as safeio
    real = safeio.atomic_write

    def truncating(path, write, validate=None, backup=True, *, inputs=()):
        def write_then_cut(tmp: Path) -> None:
            write(tmp)
            data = tmp.read_bytes()
            tmp.write_bytes(data[: len(data) // 2])
        return real(path, write_then_cut, validate, backup, inputs=inputs)

    monkeypatch.setattr(safeio, "atomic_write", truncating)
    code, _, err = run(capsys, *output.make(out, inputs))
    assert code == 1
    assert err.startswith(f"Error: {out.name}: the new file failed its check (") and \
        err.rstrip().endswith("— the previous file was left unchanged"), err
    assert sha(out) == before and temp_files(tmp_path) == []


@pytest.mark.parametrize("output", COMMAND_OUTPUTS, ids=IDS)
def test_folder_without_write_permission(output, inputs, tmp_path, capsys, monkeypatch):
    """EACCES when the temp file is created (a read-only share; as root chmod alone would not
    stop the write, so the refusal is injected at os.open for this folder only)."""
    out = tmp_path / "ro" / output.file
    out.parent.mkdir()
    real_open = os.open

    def deny(path, flags, *a, **k):
        if Path(path).parent == out.parent and flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", deny)
    code, _, err = run(capsys, *output.make(out, inputs))
    assert code == 1
    assert err == f"Error: {out.name}: cannot write in {out.parent} (permission denied) — choose another output folder\n"
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("output", COMMAND_OUTPUTS, ids=IDS)
def test_output_open_in_excel_is_refused(output, inputs, tmp_path, capsys):
    out = tmp_path / output.file
    assert run(capsys, *output.make(out, inputs))[0] == 0
    before = sha(out)
    (tmp_path / f"~${out.name}").write_bytes(b"\x00" * 165)   # Excel's owner file
    code, stdout, err = run(capsys, *output.make(out, inputs))
    assert code == 1 and stdout == ""
    assert err == f"Error: {out.name} is open in Excel — close it and run again\n"
    assert sha(out) == before and temp_files(tmp_path) == []


@pytest.mark.parametrize("output", COMMAND_OUTPUTS, ids=IDS)
def test_output_equal_to_an_input_is_refused(output, inputs, tmp_path, capsys):
    for key in output.inputs:
        source = tmp_path / inputs[key].name
        shutil.copyfile(inputs[key], source)
        local = dict(inputs, **{key: source})
        before = sha(source)
        # the same file under another spelling and through a hard link
        other = tmp_path / "sub"
        other.mkdir(exist_ok=True)
        link = tmp_path / f"link-{source.name}"
        os.link(source, link)
        for target in (source, other / ".." / source.name, link):
            code, _, err = run(capsys, *output.make(target, local))
            assert code == 1, err
            assert err == (f"Error: {target.name} is one of the input files — choose a different output name so "
                           f"the input is not overwritten\n")
            assert sha(source) == before
        link.unlink()
        assert temp_files(tmp_path) == []


class _OpenAudit:
    """Every Python-level open of a watched file, with its mode (an audit hook cannot be removed,
    so it stays installed and only records while ``watch`` is non-empty)."""
    watch: set[str] = set()
    seen: list[tuple[str, object, int]] = []
    installed = False

    @classmethod
    def hook(cls, event, args):
        if event == "open" and cls.watch and args and isinstance(args[0], (str, bytes, os.PathLike)):
            try:
                path = os.path.realpath(os.fsdecode(args[0]))
            except (TypeError, ValueError):
                return
            if path in cls.watch:
                cls.seen.append((path, args[1], args[2] if len(args) > 2 else 0))


@pytest.fixture
def open_audit():
    if not _OpenAudit.installed:
        sys.addaudithook(_OpenAudit.hook)
        _OpenAudit.installed = True
    _OpenAudit.seen = []
    # the reader remembers the last file it inspected (per size/mtime/inode); start cold so the
    # inspection's own opens are seen (the native parsers open files where no audit hook looks)
    from addin.readers import grid
    grid._INSPECTED.clear()
    yield _OpenAudit
    _OpenAudit.watch = set()


WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


@pytest.mark.parametrize("output", COMMAND_OUTPUTS, ids=IDS)
def test_inputs_opened_read_only_and_unchanged(output, inputs, tmp_path, capsys, open_audit):
    files = [inputs[k] for k in output.inputs]
    before = [sha(p) for p in files]
    stats = [(p.stat().st_mtime_ns, p.stat().st_size) for p in files]
    open_audit.watch = {os.path.realpath(p) for p in files}
    code, _, err = run(capsys, *output.make(tmp_path / output.file, inputs))
    open_audit.watch = set()
    assert code == 0, err
    assert open_audit.seen, "the audit saw the inputs being opened (else it proves nothing)"
    for path, mode, flags in open_audit.seen:
        if isinstance(mode, str):
            assert set(mode) <= set("rbt"), f"{path} opened with mode {mode!r}"
        if isinstance(flags, int) and flags:
            assert not flags & WRITE_FLAGS, f"{path} opened with flags {flags:#o}"
    assert [sha(p) for p in files] == before
    assert [(p.stat().st_mtime_ns, p.stat().st_size) for p in files] == stats


# ------------------------------------------------------------------ user text is text

EXPECTED = {as_read(t) for t in HOSTILE} - {""}


@pytest.mark.parametrize("output", [o for o in COMMAND_OUTPUTS if "ledger" in o.inputs],
                         ids=lambda o: o.name)
def test_hostile_ledger_text_comes_out_as_plain_text(output, inputs, tmp_path, capsys):
    out = tmp_path / output.file
    code, _, err = run(capsys, *output.make(out, inputs))
    assert code == 0, err
    # the risk copy is the user's own workbook: their cells stay exactly as they were (untrimmed)
    found = assert_text_cells(out, set(HOSTILE) if output.name == "risk" else EXPECTED)
    cells, facts = xlsx_cells(out)
    # prefer plain string cells: no quotePrefix style on user text
    assert not [c for c in found if c.style in facts["quote_prefix"]]
    assert all(c.formula is None for c in found)


def test_hostile_ledger_text_in_every_report_sheet_that_shows_it(inputs, tmp_path, capsys):
    out = tmp_path / "report.xlsx"
    assert run(capsys, *_report(out, inputs))[0] == 0
    found = assert_text_cells(out, EXPECTED)
    sheets = {c.sheet for c in found}
    assert {"By customer", "By part", "By owner", "Late and at risk", "Exception log", "Data"} <= sheets
    # an exception note like =HYPERLINK(...) sits in the exception log as text
    assert any(c.sheet == "Exception log" and c.text == '=HYPERLINK("http://x")' for c in found)


def _hostile_review_inputs(folder: Path) -> tuple[Path, Path]:
    po, quotes = folder / "po.xlsx", folder / "quotes.xlsx"
    _one_sheet(po, "PO", ["Order No", "Line", "Customer", "Part No", "Rev", "Qty", "Unit Price", "Currency",
                          "Order Date", "Requested Date"],
               [[f"PO-{r}", "1", text, text, "A", 100, 1.0, "USD", "2026-11-01", "2026-12-30"]
                for r, text in enumerate(HOSTILE, start=1)])
    _one_sheet(quotes, "Quotes", ["Quote No", "Customer", "Part No", "Rev", "Break Qty", "Unit Price", "Currency",
                                  "Lead Time", "MOQ", "Valid Until"],
               [[text, text, text, "A", 1, 1.0, "USD", 10, 1, "2027-12-31"] for text in HOSTILE])
    return po, quotes


def _one_sheet(path: Path, sheet: str, head: list[str], rows: list[list]) -> None:
    """A workbook of one sheet, every text written as text (never a formula, link or number)."""
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    ws = wb.add_worksheet(sheet)
    for c, h in enumerate(head):
        ws.write_string(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            ws.write_number(r, c, v) if isinstance(v, (int, float)) else ws.write_string(r, c, v)
    wb.close()


def test_hostile_po_and_quote_text_in_the_review_workbook(tmp_path, capsys):
    po, quotes = _hostile_review_inputs(tmp_path)
    out = tmp_path / "review.xlsx"
    code, _, err = run(capsys, "review", po, "--quotes", quotes, "--as-of", "2026-11-20", "--out", out, "-q")
    assert code == 0, err
    assert_text_cells(out, EXPECTED)


def test_hostile_text_through_the_excel_buttons_filebook(tmp_path):
    """The button actions write customer names and notes into the user's workbook (openpyxl):
    text stays text, control characters are dropped, the save is atomic with a backup."""
    from addin.excel.actions import refresh_otd_pivot_action, refresh_risk_colours_action
    from addin.excel.book import FileBook
    path = write_ledger_xlsx(tmp_path / "ledger.xlsx", hostile_rows())
    original = sha(path)
    book = FileBook(path)
    refresh_risk_colours_action(book)
    assert sha(path.with_name("ledger.bak.xlsx")) == original
    refresh_otd_pivot_action(FileBook(path))
    assert temp_files(tmp_path) == []
    # openpyxl reads XlsxWriter's escaped carriage return (_x000D_) as those 7 characters: leave it out
    found = assert_text_cells(path, EXPECTED - {"CR"})
    assert any(c.sheet != "Orders" for c in found), "the OTD sheet lists the customers as text"


def test_filebook_write_rows_keeps_text_and_cleans_it(tmp_path):
    from addin.excel.book import FileBook
    path = write_ledger_xlsx(tmp_path / "ledger.xlsx", hostile_rows()[:2])
    book = FileBook(path)
    raw = HOSTILE + ["bell\x07and\x01nul", "L" * 40_000]
    book.write_rows("Out", [[t] for t in raw])
    book.save()
    cells = [c for c in xlsx_cells(path)[0] if c.sheet == "Out"]
    # openpyxl stores a carriage return raw, and XML reads it back as a line feed
    assert [c.text for c in cells] == [t.replace("\r", "\n") for t in HOSTILE] + ["bellandnul", "L" * 32_767]
    assert all(c.type in ("s", "inlineStr") and c.formula is None for c in cells)


def test_writer_helpers_keep_leading_tab_cr_and_formula_text(tmp_path):
    """Below the reader (which trims): the shared XlsxWriter helper writes any text verbatim."""
    from addin.writers.xlsx import open_workbook, write_text, write_value
    out = tmp_path / "helpers.xlsx"
    wb = open_workbook(str(out))
    ws = wb.add_worksheet("T")
    for r, text in enumerate(HOSTILE):
        write_text(ws, r, 0, text)
        write_value(ws, r, 1, text)
    wb.close()
    cells = xlsx_cells(out)[0]
    assert [c.text for c in cells if c.ref.startswith("A")] == HOSTILE
    assert [c.text for c in cells if c.ref.startswith("B")] == HOSTILE
    assert all(c.type == "s" and c.formula is None for c in cells)
    assert not xlsx_cells(out)[1]["has_hyperlinks"]


# ------------------------------------------------------------------ long text, control characters

LONG = 40_000


def _long_ledger(folder: Path) -> Path:
    rows = hostile_rows()[:3]
    rows[0] = dict(rows[0], exception_note="N" * LONG, customer="ACME\x01\x02", part_no="P\x0b1")
    rows[1] = dict(rows[1], customer="ACME", exception_note="ok")
    rows[2] = dict(rows[2], description="D" * (LONG + 5))
    return write_ledger_csv(folder / "long.csv", rows)


def test_reader_cuts_long_text_with_a_warning_naming_the_cell(tmp_path, capsys):
    path = _long_ledger(tmp_path)
    from addin.readers import read
    result = read(path)
    assert [(i.cell, i.field, i.severity, i.message) for i in result.issues] == [
        ("long!L2", "exception_note", "warning",
         f"text of {LONG:,} characters is longer than Excel's 32,767 per cell: the workbooks OrderDesk writes keep "
         f"the first 32,767"),
        ("long!D4", "description", "warning",
         f"text of {LONG + 5:,} characters is longer than Excel's 32,767 per cell: the workbooks OrderDesk writes "
         f"keep the first 32,767")]
    assert result.rows.as_dict() == {"read": 3, "valid": 3, "issues": 0, "blank_or_total": 0}
    assert len(result.data.loc[0, "exception_note"]) == 32_767
    assert result.data["customer"].tolist() == ["ACME", "ACME", HOSTILE[2]]   # control characters removed
    assert result.data.loc[0, "part_no"] == "P1"
    code, out, _ = run(capsys, "check", path)
    assert code == 0 and "warning: long!L2: exception_note 'NNNN" in out


@pytest.mark.parametrize("output", [o for o in COMMAND_OUTPUTS if o.name in ("report", "risk-separate")],
                         ids=lambda o: o.name)
def test_long_text_and_control_characters_in_the_workbooks(output, tmp_path, capsys):
    ledger = _long_ledger(tmp_path)
    out = tmp_path / output.file
    code, _, err = run(capsys, *output.make(out, {"ledger": ledger}))
    assert code == 0, err
    cells, _ = xlsx_cells(out)
    texts = [c.text for c in cells if c.type in ("s", "inlineStr") and c.text]
    assert max(len(t) for t in texts) <= 32_767
    assert not [t for t in texts if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in t)]
    if output.name == "report":
        assert "N" * 32_767 in texts
        # one customer ACME (not two that look alike), and the cut named on the Data issues sheet
        assert [c.text for c in cells if c.sheet == "By customer" and c.text == "ACME"] == ["ACME"]
        issues = [c.text for c in cells if c.sheet == "Data issues"]
        assert "long!L2" in issues and "long!D4" in issues


# ------------------------------------------------------------------ sheet names

def test_sheet_names_sanitised_the_same_way_every_time():
    from addin.files.text import safe_sheet_name
    hostile = ["A/B:C*?[x]", "'quoted'", "History", "x" * 40, "客户/订单:2026*?", "=1+1", "", "  ", "a\x01b"]
    first = [safe_sheet_name(n, set()) for n in hostile]
    assert first == [safe_sheet_name(n, set()) for n in hostile]
    assert first[:2] == ["ABCx", "quoted"]
    assert first[2] == "History (2)" and first[3] == "x" * 31 and first[4] == "客户订单2026"
    assert first[5] == "=1+1" and first[6] == first[7] == "Sheet" and first[8] == "ab"
    taken: set[str] = set()
    seq = []
    for n in ["A/B:C*?[x]", "ABCx", "abcx", "A/B:C*?[x]"]:
        seq.append(safe_sheet_name(n, taken))
        taken.add(seq[-1])
    assert seq == ["ABCx", "ABCx (2)", "abcx (3)", "ABCx (4)"]
    for name in first + seq:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\")


def test_customer_names_never_become_sheet_names(inputs, tmp_path, capsys):
    """No writer names a sheet after user data: the sheets of every output are fixed names."""
    out = tmp_path / "report.xlsx"
    assert run(capsys, *_report(out, inputs))[0] == 0
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    for text in HOSTILE:
        assert as_read(text) not in names


# ------------------------------------------------------------------ demo, FileBook save, addin build

def test_demo_is_atomic_and_keeps_backups(tmp_path, capsys):
    out = tmp_path / "demo"
    code, _, err = run(capsys, "demo", "--out", out, "-q")
    assert code == 0, err
    first = {p.name: sha(p) for p in out.iterdir()}
    assert "review.xlsx" in first and "checks.json" in first
    code, _, err = run(capsys, "demo", "--out", out, "-q")
    assert code == 0, err
    for name, digest in first.items():
        stem, suffix = os.path.splitext(name)
        assert sha(out / f"{stem}.bak{suffix}") == digest, name
    assert temp_files(tmp_path) == [] and not [p for p in out.iterdir() if p.is_dir()]


def test_demo_output_open_in_excel_is_refused(tmp_path, capsys):
    out = tmp_path / "demo"
    assert run(capsys, "demo", "--out", out, "-q")[0] == 0
    before = sha(out / "review.xlsx")
    (out / "~$review.xlsx").write_bytes(b"\x00")
    code, _, err = run(capsys, "demo", "--out", out, "-q")
    assert code == 1 and err == "Error: review.xlsx is open in Excel — close it and run again\n"
    assert sha(out / "review.xlsx") == before
    assert temp_files(tmp_path) == [] and not [p for p in out.iterdir() if p.is_dir()]


def test_demo_failure_midway_leaves_previous_files(tmp_path, capsys, monkeypatch):
    out = tmp_path / "demo"
    assert run(capsys, "demo", "--out", out, "-q")[0] == 0
    before = {p.name: sha(p) for p in out.iterdir()}
    _patch(monkeypatch, "addin.demo.supply.write_all", _boom)
    code, _, err = run(capsys, "demo", "--out", out, "-q")
    assert code == 1 and "disk full (simulated)" in err
    assert {p.name: sha(p) for p in out.iterdir()} == before
    assert temp_files(tmp_path) == []


def test_filebook_save_atomic_backup_lock_and_failure(tmp_path, monkeypatch):
    from addin.excel.book import FileBook
    path = write_ledger_xlsx(tmp_path / "ledger.xlsx", hostile_rows()[:2])
    original = sha(path)
    book = FileBook(path)
    book.write_rows("Out", [["x"]])
    book.save()
    assert sha(path.with_name("ledger.bak.xlsx")) == original
    saved = sha(path)
    # a save that fails while writing leaves the file and no temp file
    from openpyxl.writer.excel import ExcelWriter
    monkeypatch.setattr(ExcelWriter, "write_data", lambda self: (self._archive.writestr("xl/half.xml", "<half"),
                                                                 _boom()))
    with pytest.raises(RuntimeError, match="disk full") as failed:
        book.save()
    assert sha(path) == saved and temp_files(tmp_path) == []
    # openpyxl's own save leaves its zip (and the temp file) open on such an error, held by the
    # traceback; garbage collection later closed the file before the zip: "I/O operation on
    # closed file" from ZipFile.__del__ (CI run 9)
    assert failed.value.__traceback__ is not None and open_files_under(tmp_path) == []
    del failed
    # a save whose file does not reopen is refused by the check
    monkeypatch.setattr(ExcelWriter, "write_data", lambda self: None)
    with pytest.raises(FileError, match=r"^ledger.xlsx: the new file failed its check \(.*— the previous file was left unchanged$"):
        book.save()
    assert sha(path) == saved and temp_files(tmp_path) == []
    # open in Excel
    (tmp_path / "~$ledger.xlsx").write_bytes(b"\x00")
    monkeypatch.undo()
    with pytest.raises(FileError) as err:
        FileBook(path).save()
    assert str(err.value) == "ledger.xlsx is open in Excel — close it and run again"
    assert sha(path) == saved


def test_filebook_save_as_never_overwrites_its_source(tmp_path):
    from addin.excel.book import FileBook
    path = write_ledger_xlsx(tmp_path / "ledger.xlsx", hostile_rows()[:2])
    before = sha(path)
    book = FileBook(path, save_as=tmp_path / "sub" / ".." / "ledger.xlsx")
    (tmp_path / "sub").mkdir()
    with pytest.raises(FileError) as err:
        book.save()
    assert str(err.value) == ("ledger.xlsx is one of the input files — choose a different output name so the "
                              "input is not overwritten")
    assert sha(path) == before


def test_addin_build_atomic_backup_lock_and_validation(tmp_path, capsys, monkeypatch):
    out = tmp_path / "dist"
    code, stdout, err = run(capsys, "addin", "build", "--out", out)
    assert code == 0, err
    first = {p.name: sha(p) for p in out.iterdir()}
    assert set(first) == {"OrderDesk.xlam", "OrderLedger.xlsm", "ContractReview.xlsm"}
    assert run(capsys, "addin", "build", "--out", out)[0] == 0
    for name, digest in first.items():
        stem, suffix = os.path.splitext(name)
        assert sha(out / f"{stem}.bak{suffix}") == digest
    # a template that does not reopen is refused; the previous one stays
    import addin.xlam.build as build
    monkeypatch.setattr(build, "ledger_template_bytes", lambda: b"PK\x03\x04 not a workbook")
    code, _, err = run(capsys, "addin", "build", "--out", out)
    assert code == 1 and err.startswith("Error: OrderLedger.xlsm: the new file failed its check (")
    assert sha(out / "OrderLedger.xlsm") == first["OrderLedger.xlsm"]
    monkeypatch.undo()
    (out / "~$ContractReview.xlsm").write_bytes(b"\x00")
    code, _, err = run(capsys, "addin", "build", "--out", out)
    assert code == 1 and err == "Error: ContractReview.xlsm is open in Excel — close it and run again\n"
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("text", ["<r>rich</r>", "<r><t>x</t></r>", "<r></r>", '<r><rPr><b/></rPr><t>bold</t></r>',
                                  "<r>&amp; <b> \"q\"</r>"])
def test_text_shaped_like_rich_xml_stays_text(tmp_path, text):
    """XlsxWriter writes a shared string that starts with <r> and ends with </r> into the XML as
    it is (rich text); write_text must keep it the user's plain text, in every reader."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook
    from addin.writers.xlsx import write_text
    path = tmp_path / "rich.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    write_text(ws, 0, 0, text)
    write_text(ws, 1, 0, text, wb.add_format({"bold": True}))
    wb.close()
    sheet = openpyxl.load_workbook(path)["S"]
    assert [sheet["A1"].value, sheet["A2"].value] == [text, text]
    assert sheet["A2"].font.b
    assert [r[0] for r in CalamineWorkbook.from_path(str(path)).get_sheet_by_name("S").to_python()] == [text, text]
