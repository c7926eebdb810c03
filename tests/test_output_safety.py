"""SPEC 12 for what the commands write and print (issue 14, items 3, 6 and 12): no output may name
an input (links, '..', hard links, another letter case), refused before anything is read; every
CSV cell a spreadsheet would run is neutralised; nothing printed can drive the terminal. Real
.xlsx ledgers written here, the real command in a subprocess."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter

from addin.files.guard import same_file
from addin.files.text import csv_cell, csv_text, terminal_safe
from tests.test_otd_cli import HEADER

D = dt.datetime
AS_OF = "2026-11-20"
REFUSED = "Error: {name} is one of the input files — choose a different output name so the input is not overwritten\n"
# what a terminal acts on: C0 controls but tab and line feed, DEL, C1 controls, bidi overrides
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def cli(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    return subprocess.run([sys.executable, "-m", "addin.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=180, cwd=cwd, env=env)


def write_ledger(path: Path, customers: list[str], order_prefix: list[str] | None = None,
                 exceptions: list[str] | None = None, extra_rows: list[list] = ()) -> Path:
    """One open line per customer, promised 2026-10-05 (late at AS_OF); every text written as
    text (no formulas, no numbers guessed)."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    ws = wb.add_worksheet("Orders")
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADER)
    rows = []
    for i, customer in enumerate(customers):
        order = f"PO-{i}" + (order_prefix[i] if order_prefix else "")
        exc = exceptions[i] if exceptions else None
        rows.append([order, customer, f"P-{i}", 10, D(2026, 10, 1), D(2026, 10, 5), None, None, "生产中", exc])
    for r, row in enumerate(rows + list(extra_rows), start=1):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, dates)
            elif isinstance(v, str):
                ws.write_string(r, c, v)
            elif v is not None:
                ws.write_number(r, c, v)
    wb.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# item 3: no output over an input
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def books(tmp_path: Path) -> Path:
    write_ledger(tmp_path / "ledger.xlsx", ["ACME"])
    write_ledger(tmp_path / "cal.xlsx", ["ACME"])          # any workbook: refused before it is read
    (tmp_path / "m.toml").write_text("[columns]\n", encoding="utf-8")
    (tmp_path / "orderdesk.toml").write_text("[otd]\nbasis = \"promised\"\n", encoding="utf-8")
    return tmp_path


# every command that writes a file, with the arguments it needs besides --out
WRITERS = {
    "risk": ["ledger.xlsx"],
    "report": ["ledger.xlsx", "--month", "2026-10"],
    "review": ["ledger.xlsx", "--quotes", "ledger.xlsx"],
    "plan": ["ledger.xlsx", "--bom", "ledger.xlsx", "--stock", "ledger.xlsx"],
    "changes": ["ledger.xlsx", "ledger.xlsx"],
    "notice": ["ledger.xlsx", "--customer", "ACME"],
}


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_out_equal_to_the_calendar_workbook_is_refused(books: Path, command: str):
    before = digest(books / "cal.xlsx")
    out = cli(command, *WRITERS[command], "--calendar", "cal.xlsx", "--out", "cal.xlsx", cwd=books)
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr == REFUSED.format(name="cal.xlsx")
    assert digest(books / "cal.xlsx") == before


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_out_equal_to_the_map_or_the_config_is_refused(books: Path, command: str):
    for option, name in (("--map", "m.toml"), ("--config", "orderdesk.toml")):
        if command in ("changes", "plan", "review", "notice") and option == "--map":
            continue   # these read their inputs with the built-in headers
        before = digest(books / name)
        out = cli(command, *WRITERS[command], option, name, "--out", name, cwd=books)
        assert (out.returncode, out.stdout) == (1, ""), out.stderr
        assert out.stderr == REFUSED.format(name=name)
        assert digest(books / name) == before


def test_review_map_over_itself_refused_before_anything_is_read(books: Path):
    """The orders file is not a workbook at all: had it been read first, the error would name it."""
    (books / "orders.xlsx").write_bytes(b"not a workbook")
    out = cli("review", "orders.xlsx", "--quotes", "orders.xlsx", "--map", "m.toml", "--out", "m.toml", cwd=books)
    assert (out.returncode, out.stderr) == (1, REFUSED.format(name="m.toml"))
    assert (books / "m.toml").read_text(encoding="utf-8") == "[columns]\n"


def test_other_spellings_of_an_input_are_refused(books: Path):
    (books / "sub").mkdir()
    os.symlink(books / "ledger.xlsx", books / "link.xlsx")
    os.link(books / "cal.xlsx", books / "hard.xlsx")
    cases = [
        (["risk", "ledger.xlsx", "--out", "link.xlsx"], ("--out", "link.xlsx", "LEDGER", "ledger.xlsx")),
        (["risk", "ledger.xlsx", "--out", "sub/../ledger.xlsx"], ("--out", "sub/../ledger.xlsx", "LEDGER", "ledger.xlsx")),
        (["risk", "ledger.xlsx", "--out", str(books / "ledger.xlsx")],
         ("--out", str(books / "ledger.xlsx"), "LEDGER", "ledger.xlsx")),
        (["report", "ledger.xlsx", "--month", "2026-10", "--calendar", "cal.xlsx", "--out", "hard.xlsx"],
         ("--out", "hard.xlsx", "--calendar", "cal.xlsx")),
        (["map", "ledger.xlsx", "--out", "./ledger.xlsx"], ("--out", "ledger.xlsx", "FILE", "ledger.xlsx")),
        (["map", "ledger.xlsx", "--map", "m.toml", "--out", "sub/../m.toml"],
         ("--out", "sub/../m.toml", "--map", "m.toml")),
    ]
    for args, (out_opt, out_name, in_opt, source) in cases:
        before = digest(books / source)
        out = cli(*args, cwd=books)
        assert (out.returncode, out.stderr) == (1, REFUSED.format(name=Path(out_name).name)), args
        assert digest(books / source) == before


def test_two_outputs_of_one_command_may_not_be_one_file(books: Path):
    out = cli("notice", "ledger.xlsx", "--customer", "ACME", "--out", "n.xlsx", "--body", "./n.xlsx", cwd=books)
    assert (out.returncode, out.stderr) == (1, "Error: --out n.xlsx and --body n.xlsx name the same file — give"
                                               " each output its own name\n")
    assert not (books / "n.xlsx").exists()


def test_calendar_of_the_config_is_an_input_too(books: Path):
    (books / "orderdesk.toml").write_text('[otd]\ncalendar = "cal.xlsx"\n', encoding="utf-8")
    before = digest(books / "cal.xlsx")
    out = cli("risk", "ledger.xlsx", "--config", "orderdesk.toml", "--out", "cal.xlsx", cwd=books)
    assert (out.returncode, out.stderr) == (1, REFUSED.format(name="cal.xlsx"))
    assert digest(books / "cal.xlsx") == before


def test_same_file_through_another_letter_case(tmp_path: Path, monkeypatch):
    """On Windows and macOS 'M.TOML' is 'm.toml': the system's own case rule decides (simulated
    here by normcase folding case, as Windows' does)."""
    (tmp_path / "m.toml").write_text("[columns]\n", encoding="utf-8")
    assert not same_file(tmp_path / "M.TOML", tmp_path / "m.toml")
    monkeypatch.setattr(os.path, "normcase", lambda p: os.fspath(p).lower())
    assert same_file(tmp_path / "M.TOML", tmp_path / "m.toml")
    assert same_file(tmp_path / "x" / ".." / "M.TOML", tmp_path / "m.toml")
    assert not same_file(tmp_path / "n.toml", tmp_path / "m.toml")


def test_every_command_checks_its_outputs_against_its_inputs():
    """Each command is an OrderDesk Command (the check runs in its invoke, before its body)."""
    import click
    from addin.cli import COMMANDS as ALL, cli as group
    from addin.commands.common import Command
    ctx = click.Context(group)
    for name in ALL:
        if name == "addin":
            continue
        command = group.get_command(ctx, name)
        assert isinstance(command, Command), name


# ---------------------------------------------------------------------------------------------
# item 6: CSV cells a spreadsheet would run
# ---------------------------------------------------------------------------------------------

INJECTED = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=2", "\r=3", "-3", "plain"]
# the reader trims a label's surrounding white space (tab, CR): '\t=2' is the label '=2'
EXPECTED_LABELS = {"'=1+1", "'+1", "'-1", "'@SUM(A1)", "'=2", "'=3", "'-3", "plain", "Total"}


@pytest.mark.parametrize("command,count_col", [("otd", "lines"), ("backlog", "open_lines")])
def test_csv_outputs_neutralise_every_formula_start(tmp_path: Path, command: str, count_col: str):
    ledger = write_ledger(tmp_path / "inj.xlsx", INJECTED)
    out = cli(command, ledger, "--as-of", AS_OF, "--by", "customer", "--format", "csv")
    assert (out.returncode, out.stderr) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert {r["customer"] for r in rows} == EXPECTED_LABELS
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), (command, r)
            assert not value.startswith("-") or value.lstrip("-").replace(".", "").isdigit(), (command, r)
    assert {r["customer"]: r[count_col] for r in rows}["Total"] == "8"


def test_csv_cell_rules():
    assert [csv_cell(v) for v in ("=1", "+1", "-1", "@a", "\t=1", "\r=1", "a=1", "", None)] == \
        ["'=1", "'+1", "'-1", "'@a", "'\t=1", "'\r=1", "a=1", "", ""]
    assert [csv_cell(v) for v in (-3, 1.5, 0, True)] == [-3, 1.5, 0, True]
    text = csv_text([["\t=1", -3, "-3", 2.25]])
    assert text == "'\t=1,-3,'-3,2.25\n"
    assert list(csv.reader(io.StringIO(text))) == [["'\t=1", "-3", "'-3", "2.25"]]


# ---------------------------------------------------------------------------------------------
# item 12: nothing printed drives the terminal
# ---------------------------------------------------------------------------------------------

EVIL = ["\x1b]0;title\x07", "\x1b[31mred", "a\rb", "\u202eabc", "\x9b2J", "\x85next"]


@pytest.fixture
def evil_ledger(tmp_path: Path) -> Path:
    return write_ledger(tmp_path / "evil.xlsx", [f"C{e}" for e in EVIL], order_prefix=EVIL,
                        exceptions=[f"缺料{e}" for e in EVIL],
                        extra_rows=[["PO-bad", "X", "P-9", 5, "bad\x1b]0;t\x07\u202edate"]])


COMMANDS = {
    "check": ["check", "{ledger}"],
    "check-json": ["check", "{ledger}", "--format", "json"],
    "otd": ["otd", "{ledger}", "--as-of", AS_OF, "--by", "customer"],
    "otd-json": ["otd", "{ledger}", "--as-of", AS_OF, "--by", "customer", "--format", "json"],
    "otd-csv": ["otd", "{ledger}", "--as-of", AS_OF, "--by", "customer", "--format", "csv"],
    "map": ["map", "{ledger}"],
    "backlog": ["backlog", "{ledger}", "--as-of", AS_OF, "--by", "customer"],
    "backlog-csv": ["backlog", "{ledger}", "--as-of", AS_OF, "--by", "customer", "--format", "csv"],
    "escalate": ["escalate", "{ledger}", "--as-of", AS_OF],
    "escalate-json": ["escalate", "{ledger}", "--as-of", AS_OF, "--format", "json"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cells_with_terminal_sequences_are_printed_escaped(evil_ledger: Path, name: str):
    out = cli(*[a.format(ledger=evil_ledger) for a in COMMANDS[name]])
    assert out.returncode == 0, out.stderr
    assert not UNSAFE.search(out.stdout), (name, UNSAFE.findall(out.stdout))
    assert not UNSAFE.search(out.stderr), (name, UNSAFE.findall(out.stderr))
    if name.endswith("-json"):
        json.loads(out.stdout)     # the escapes are JSON's: still one valid object
    # what is left of each sequence is shown, visibly: the bidi override and C1 controls as \\uXXXX
    if name.startswith("check"):       # check prints the values of the cells it rejects
        assert "\\u202edate" in out.stdout, name
    elif name != "map":
        assert "\\u202eabc" in out.stdout and "\\u009b2J" in out.stdout, name


def test_check_shows_a_bad_cell_escaped_in_its_issue(evil_ledger: Path):
    out = cli("check", evil_ledger)
    assert out.returncode == 0
    assert ("error: Orders!E8: requested_date 'bad\\u001b]0;t\\u0007\\u202edate': not a date"
            in out.stdout.splitlines()), out.stdout


def test_errors_and_usage_errors_are_printed_escaped(tmp_path: Path):
    name = "led\x1b]0;x\x07\u202e.xlsx"
    out = cli("otd", tmp_path / name)
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr == (f"Error: {terminal_safe(str(tmp_path / name))}: no such file — check the name and the"
                          f" folder of the input file\n")
    assert "\\u001b]0;x\\u0007\\u202e" in out.stderr
    out = cli("otd", tmp_path / "x.xlsx", "--as-of", "\x1b[2J")
    assert out.returncode == 2
    assert not UNSAFE.search(out.stderr)
    assert "Error: Invalid value for '--as-of': '\\u001b[2J' is not a date (expected YYYY-MM-DD)" in out.stderr


def test_monthly_workbook_may_not_be_its_ledger(tmp_path: Path):
    (tmp_path / "reports").mkdir()
    ledger = write_ledger(tmp_path / "reports" / "OTD-2026-10.xlsx", ["ACME"])
    before = digest(ledger)
    (tmp_path / "orderdesk.toml").write_text(
        '[ledger]\npath = "reports/OTD-2026-10.xlsx"\n[mail]\nhost = "127.0.0.1"\nport = 2525\n'
        'sender = "r@example.com"\nto = ["a@example.com"]\n', encoding="utf-8")
    out = cli("monthly", "--config", "orderdesk.toml", "--as-of", "2026-11-02", "--dry-run", cwd=tmp_path)
    assert (out.returncode, out.stdout, out.stderr) == (1, "", REFUSED.format(name="OTD-2026-10.xlsx"))
    assert digest(ledger) == before


# ---------------------------------------------------------------------------------------------
# item 15: an unusable input is exit 1 with one Error: line (SPEC 6), on every command
# ---------------------------------------------------------------------------------------------

INPUTS = [
    ["check", "{bad}"], ["map", "{bad}"], ["otd", "{bad}"], ["backlog", "{bad}"], ["escalate", "{bad}"],
    ["report", "{bad}", "--month", "2026-10", "--out", "o.xlsx"], ["risk", "{bad}", "--out", "o.xlsx"],
    ["review", "ledger.xlsx", "--quotes", "{bad}", "--out", "o.xlsx"],
    ["plan", "ledger.xlsx", "--bom", "{bad}", "--stock", "ledger.xlsx", "--out", "o.xlsx"],
    ["changes", "ledger.xlsx", "{bad}", "--out", "o.xlsx"], ["notice", "{bad}", "--customer", "A", "--out", "o.xlsx"],
]


@pytest.mark.parametrize("args", INPUTS, ids=lambda a: a[0])
def test_missing_or_folder_input_is_exit_1(books: Path, args):
    (books / "folder.xlsx").mkdir()
    for bad, message in (("nope.xlsx", "nope.xlsx: no such file — check the name and the folder of the input file"),
                         ("folder.xlsx", "folder.xlsx: is a folder, not a file — give the path of the input file")):
        out = cli(*[a.format(bad=bad) for a in args], cwd=books)
        assert (out.returncode, out.stdout, out.stderr) == (1, "", f"Error: {message}\n"), args
    assert not (books / "o.xlsx").exists()


@pytest.mark.parametrize("config,target", [('[purchases]\npath = "bought.xlsx"\n', "bought.xlsx"),
                                           ('[purchases]\npath = "bought.xlsx"\nmap = "m.toml"\n', "m.toml"),
                                           ('[ledger]\npath = "ledger.xlsx"\ndeliveries = "bought.xlsx"\n', "bought.xlsx")])
def test_report_out_over_a_file_of_its_config_is_refused_before_reading(books: Path, config: str, target: str):
    """bought.xlsx is not a purchase ledger at all: read first, the error would be about its columns."""
    (books / "bought.xlsx").write_bytes((books / "ledger.xlsx").read_bytes())
    (books / "orderdesk.toml").write_text(config, encoding="utf-8")
    before = digest(books / target)
    out = cli("report", "ledger.xlsx", "--month", "2026-10", "--config", "orderdesk.toml", "--out", target, cwd=books)
    assert (out.returncode, out.stdout, out.stderr) == (1, "", REFUSED.format(name=target))
    assert digest(books / target) == before
