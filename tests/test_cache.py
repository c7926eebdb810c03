"""The parsed-input cache (issue 19): a later read of an unchanged file comes from the user's
cache folder, and anything that could make the entry wrong (other content at the same size and
time, another mapping, another version, a damaged or foreign entry, a folder that cannot be
written, two runs at once) gives the same figures as a read without the cache."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from click.testing import CliRunner

from addin.jobs import inputs
from addin.jobs.inputs import read_input, read_ledger, set_caching
from addin.readers import Mapping, cache, read
from addin.readers.table import Issue

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["订单号", "行号", "客户名称", "料号", "订单数量", "单价", "订单日期", "客户交期", "实际出货日期", "订单状态", "备注"]


def rows(n: int = 12, qty: int = 5) -> list[list]:
    out = []
    for i in range(n):
        out.append([f"SO-{i // 2:04d}", i % 2 + 1, ["ACME", "星河智能", "Nordic Audio"][i % 3], f"PCBA-{100 + i % 4}",
                    qty + i, 12.5, dt.date(2026, 9, 1), dt.date(2026, 10, 1 + i % 20),
                    dt.date(2026, 10, 2 + i % 25) if i % 3 else None, "已出货" if i % 3 else "生产中",
                    "PCB来料延期" if i % 4 == 0 else None])
    out.append(["SO-9999", 1, "ACME", "PCBA-100", "twelve", 12.5, dt.date(2026, 9, 1), "31/02/2026", None, "TBD", None])
    out.append([None] * len(HEADER))
    out.append(["合计", None, None, None, 999, None, None, None, None, None, None])
    return out


def write_xlsx(path: Path, data: list[list], title: str = "2026 订单跟踪") -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    ws = wb.add_worksheet("订单")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_string(0, 0, title)
    for c, h in enumerate(HEADER):
        ws.write_string(2, c, h)
    for r, row in enumerate(data, start=3):
        for c, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), date)
            elif v is not None:
                ws.write(r, c, v)
    wb.close()
    return path


def write_csv(path: Path, qty: int) -> Path:
    lines = [",".join(HEADER)]
    for i in range(6):
        lines.append(f"SO-{i:04d},1,ACME,PCBA-10{i},{qty}{i},12.5,2026-09-01,2026-10-0{i + 1},2026-10-0{i + 2},已出货,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("ORDERDESK_CACHE_DIR", str(where))
    monkeypatch.delenv("ORDERDESK_CACHE_MAX_MB", raising=False)
    set_caching(True)
    yield where
    cache.wait()


@pytest.fixture
def no_parse(monkeypatch):
    """Reading a file without the cache fails the test: what follows must come from the cache."""
    def refuse(*args, **kwargs):
        raise AssertionError("the file was parsed again")
    monkeypatch.setattr("addin.readers.read", refuse)


def parses(monkeypatch) -> list:
    """Count the parses (the cache's misses) from here on."""
    calls: list = []
    import addin.readers
    real = addin.readers.read

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)
    monkeypatch.setattr("addin.readers.read", counting)
    return calls


def figures(result) -> dict:
    """Everything a command shows of a read: check's JSON (rows, issues, notes, columns, the
    column proposal, placeholders, sheets), the column letters, the frame itself."""
    out = result.as_dict()
    out["column_letters"] = result.column_letters
    out["order"] = [list(d) for d in (result.columns, result.column_letters, result.placeholders, result.proposal)]
    out["issue_types"] = [type(i.value).__name__ for i in result.issues]
    out["path"] = str(result.path)
    return out


def same(a, b) -> None:
    assert figures(a) == figures(b)
    pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
    assert list(a.data.dtypes) == list(b.data.dtypes)


def entries(where: Path) -> list[Path]:
    return sorted(where.glob(f"*{cache.SUFFIX}"))


def test_second_read_comes_from_the_cache_with_the_same_figures(tmp_path, folder, monkeypatch):
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    fresh = read(ledger, "ledger")
    first = read_ledger(ledger)
    same(first, fresh)
    assert fresh.rows.issues == 1 and fresh.rows.blank_or_total >= 1      # the accounting is worth checking
    assert len(entries(folder)) == 1
    assert not list(tmp_path.glob("*.odcache")) and sorted(p.name for p in tmp_path.iterdir()) == ["cache", "ledger.xlsx"]
    monkeypatch.setattr("addin.readers.read", lambda *a, **k: pytest.fail("parsed again"))
    again = read_ledger(ledger)
    same(again, fresh)
    assert [str(i) for i in again.issues] == [str(i) for i in fresh.issues]


def test_changed_content_with_same_size_and_time_is_read_again(tmp_path, folder, monkeypatch):
    ledger = write_csv(tmp_path / "ledger.csv", qty=5)
    st = ledger.stat()
    before = read_ledger(ledger)
    assert before.data["qty"].tolist()[:2] == [50.0, 51.0]
    write_csv(ledger, qty=6)                                        # one digit: same size
    os.utime(ledger, ns=(st.st_atime_ns, st.st_mtime_ns))           # and the time set back
    assert (ledger.stat().st_size, ledger.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    calls = parses(monkeypatch)
    after = read_ledger(ledger)
    assert len(calls) == 1
    assert after.data["qty"].tolist()[:2] == [60.0, 61.0]
    same(after, read(ledger, "ledger"))


def test_changed_mapping_is_read_again(tmp_path, folder, monkeypatch):
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\nrequested_date = "客户交期"\n', encoding="utf-8")
    one = read_ledger(ledger, mapping=mapping)
    mapping.write_text('[columns]\nrequested_date = "订单日期"\n', encoding="utf-8")   # same file name
    calls = parses(monkeypatch)
    two = read_ledger(ledger, mapping=mapping)
    assert len(calls) == 1
    same(two, read(ledger, "ledger", mapping=mapping))
    assert two.columns["requested_date"] == "订单日期" and one.columns["requested_date"] == "客户交期"
    three = read_ledger(ledger, mapping=mapping)                    # and this mapping's entry answers now
    assert len(calls) == 1
    same(three, two)


def test_new_version_reads_again(tmp_path, folder, monkeypatch):
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    read_ledger(ledger)
    monkeypatch.setattr(cache, "__version__", "99.0.0")
    cache.code_fingerprint.cache_clear()
    try:
        calls = parses(monkeypatch)
        again = read_ledger(ledger)
        assert len(calls) == 1
        same(again, read(ledger, "ledger"))
        assert len(entries(folder)) == 2          # the old version's entry is left to the size bound
    finally:
        cache.code_fingerprint.cache_clear()


@pytest.mark.parametrize("damage", ["truncated", "one byte changed", "empty", "foreign file", "other file's entry"])
def test_damaged_or_foreign_entry_is_ignored_and_replaced(tmp_path, folder, monkeypatch, damage):
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    other = write_xlsx(tmp_path / "other.xlsx", rows(20, qty=40))
    fresh = read(ledger, "ledger")
    read_ledger(ledger)
    [entry] = entries(folder)
    raw = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(raw[: len(raw) // 2])
    elif damage == "one byte changed":
        i = len(raw) - 100
        entry.write_bytes(raw[:i] + bytes([raw[i] ^ 0x55]) + raw[i + 1:])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "foreign file":
        entry.write_bytes(b"PK\x03\x04 not an OrderDesk cache entry" * 100)
    else:
        read_ledger(other)
        [other_entry] = [p for p in entries(folder) if p != entry]
        entry.write_bytes(other_entry.read_bytes())          # a whole entry, but another file's
    calls = parses(monkeypatch)
    again = read_ledger(ledger)
    assert len(calls) == 1
    same(again, fresh)
    st = ledger.stat()
    source = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "blake2b": cache.file_digest(ledger)}
    same(cache.decode(entry.read_bytes(), ledger, cache.options_key(ledger, "ledger", None, Mapping()), source), fresh)
    third = read_ledger(ledger)                               # the entry was written anew
    assert len(calls) == 1
    same(third, fresh)


def test_foreign_files_in_the_cache_folder_are_left_alone(tmp_path, folder):
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    (folder / f"junk{cache.SUFFIX}").write_bytes(os.urandom(3000))
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    same(read_ledger(ledger), read(ledger, "ledger"))
    same(read_ledger(ledger), read(ledger, "ledger"))
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"


# root writes into a read-only folder: as root the case is test_read_only_folder_when_run_as_root's
UNWRITABLE = ["a file where the folder should be"] + (["read-only folder"] if os.geteuid() != 0 else [])


@pytest.mark.parametrize("how", UNWRITABLE)
def test_folder_that_cannot_be_written_means_no_cache(tmp_path, folder, monkeypatch, capsys, how):
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    if how == "read-only folder":
        folder.mkdir()
        folder.chmod(0o555)
    else:
        folder.write_text("not a folder", encoding="utf-8")
    try:
        calls = parses(monkeypatch)
        one, two = read_ledger(ledger), read_ledger(ledger)
        assert len(calls) == 2                                    # each read parses: no cache
        same(one, read(ledger, "ledger"))
        same(two, one)
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err == ""
    finally:
        if folder.is_dir():
            folder.chmod(0o755)


def test_read_only_folder_when_run_as_root(tmp_path):
    """Root writes anywhere: the read-only folder is refused to it by dropping the capability
    that overrides permissions (setpriv), in a child process that reads the ledger twice."""
    import shutil
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("not root (the test above covers it) or no setpriv")
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    code = textwrap.dedent(f"""
        import json, os, sys
        from addin.jobs.inputs import read_ledger
        from addin.readers import cache
        a = read_ledger({str(ledger)!r}); b = read_ledger({str(ledger)!r}); cache.wait()
        print(json.dumps([a.as_dict() == b.as_dict(), a.as_dict(), os.listdir({str(folder)!r})], default=str))
    """)
    env = {**os.environ, "ORDERDESK_CACHE_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    caps = "-dac_override,-dac_read_search"
    proc = subprocess.run(["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", sys.executable, "-c", code],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path))
    folder.chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""                       # silently no cache
    equal, shown, listing = json.loads(proc.stdout)
    assert equal and listing == []
    assert shown == json.loads(json.dumps(read(ledger, "ledger").as_dict(), default=str))


def test_two_processes_at_once_leave_a_valid_entry(tmp_path, folder, no_parse):
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows(3000))
    code = textwrap.dedent(f"""
        from addin.jobs.inputs import read_ledger
        from addin.readers import cache
        r = read_ledger({str(ledger)!r})
        cache.wait()
        print(r.rows.valid)
    """)
    env = {**os.environ, "ORDERDESK_CACHE_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={**env, "ORDERDESK_CACHE_INLINE": inline}) for inline in ("1", "0", "1")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [e for _, e in outs]
    assert len({o for o, _ in outs}) == 1
    assert len(entries(folder)) == 1 and not list(folder.glob(".tmp-*"))
    cached = read_ledger(ledger)                 # from the cache: a parse would fail (no_parse)
    import addin.readers.table as table
    same(cached, table.read(ledger, "ledger"))


def test_large_result_written_by_a_child_while_the_caller_goes_on(tmp_path, folder, monkeypatch):
    monkeypatch.setattr(cache, "FORK_ROWS", 1)
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows(200))
    first = read_ledger(ledger)
    calls = parses(monkeypatch)
    second = read_ledger(ledger)                 # waits for this process's writer of that entry
    assert calls == []
    same(second, first)


def test_size_bound_drops_the_least_recently_used(tmp_path, folder, monkeypatch):
    books = [write_xlsx(tmp_path / f"ledger{i}.xlsx", rows(30 + i)) for i in range(3)]
    read_ledger(books[0])
    one = entries(folder)[0].stat().st_size
    monkeypatch.setenv("ORDERDESK_CACHE_MAX_MB", str(2.5 * one / 2**20))
    key = {b: cache.entry_path(folder, cache.options_key(b, "ledger", None, Mapping())) for b in books}
    os.utime(key[books[0]], (1_000_000, 1_000_000))          # the oldest
    read_ledger(books[1])
    os.utime(key[books[1]], (2_000_000, 2_000_000))
    read_ledger(books[0])                                     # used again: now the newest of the two
    assert key[books[0]].stat().st_mtime > 2_000_000
    read_ledger(books[2])                                     # three do not fit: the oldest goes
    assert not key[books[1]].exists()
    assert key[books[0]].exists() and key[books[2]].exists()
    assert sum(p.stat().st_size for p in entries(folder)) <= 2.5 * one


def entry_bytes(buffers: list, folder: Path) -> bytes:
    """An entry's bytes as :func:`cache.store` writes them (the frame streamed from its table)."""
    path = folder / f"one{cache.SUFFIX}"
    assert cache.store(path, buffers, 1 << 30)
    return path.read_bytes()


def test_issue_values_of_every_kind_come_back_as_they_were(tmp_path, folder):
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    result = read(ledger, "ledger")
    result.issues = [Issue("订单!A1", "qty", v, "m", s) for v, s in
                     [(None, "error"), ("x", "warning"), (1.5, "error"), (12, "error"), (2**70, "error"),
                      (pd.Timestamp("2026-02-03"), "error"), (dt.date(2026, 2, 3), "error"),
                      (dt.datetime(2026, 2, 3, 4, 5), "error"), (True, "warning")]]
    key = cache.options_key(ledger, "ledger", None, Mapping())
    source = {"size": 1, "mtime_ns": 2, "blake2b": "x"}
    back = cache.decode(entry_bytes(cache.encode(result, ledger, key, source), tmp_path), ledger, key, source)
    assert [(type(i.value), i.value, i.severity) for i in back.issues] == \
           [(type(i.value), i.value, i.severity) for i in result.issues]
    assert cache.decode(entry_bytes(cache.encode(result, ledger, key, source), tmp_path), ledger, key,
                        {**source, "size": 2}) is None


def test_frame_the_format_cannot_carry_is_not_cached(tmp_path, folder):
    bom = tmp_path / "bom.xlsx"
    wb = xlsxwriter.Workbook(str(bom))
    ws = wb.add_worksheet("BOM")
    for c, h in enumerate(["父件料号", "子件料号", "用量", "替代料"]):
        ws.write_string(0, c, h)
    ws.write_row(1, 0, ["FG-1", "R-1", 2, "R-2/R-3"])
    wb.close()
    result = read_input(bom, "bom")
    same(read_input(bom, "bom"), result)          # alternates are tuples: read each time, same figures
    assert entries(folder) == []


def test_no_cache_option_and_the_same_output(tmp_path, folder):
    from addin.cli import cli
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    runner = CliRunner()
    args = ["otd", str(ledger), "--as-of", "2026-11-20", "--by", "customer"]
    plain = runner.invoke(cli, args + ["--no-cache"])
    assert plain.exit_code == 0, plain.output
    assert entries(folder) == []
    first = runner.invoke(cli, args)
    assert len(entries(folder)) == 1
    second = runner.invoke(cli, args)
    assert plain.output == first.output == second.output
    assert "Rows: read" in plain.output or "rows" in plain.output.lower()
    check = [runner.invoke(cli, ["check", str(ledger), "--format", "json"] + extra).output
             for extra in (["--no-cache"], [], [])]
    assert check[0] == check[1] == check[2]
    assert json.loads(check[0])["rows"] == read(ledger, "ledger").rows.as_dict()
    assert inputs.CACHING.get() is True
    for command in ("otd", "check", "report", "risk", "monthly"):
        assert "--no-cache" in runner.invoke(cli, [command, "--help"]).output


def test_columns_the_file_does_not_fill_share_memory_but_edits_stay_in_their_column(tmp_path, folder, monkeypatch):
    """The cached frame's empty canonical columns share one array per dtype (copy-on-write):
    writing into one of them, in every way a caller can, leaves the others and the cache whole."""
    from tests.test_read_memory import assert_empty_columns_shared_and_edits_stay
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    fresh = read(ledger, "ledger")
    read_ledger(ledger)
    cache.wait()
    monkeypatch.setattr("addin.readers.read", lambda *a, **k: pytest.fail("parsed again"))
    assert_empty_columns_shared_and_edits_stay(read_ledger(ledger).data)
    same(read_ledger(ledger), fresh)                 # the next cached read is as the file says


def test_an_entry_replaced_or_dropped_while_a_result_is_in_use_leaves_it_whole(tmp_path, folder):
    """On POSIX the entry is mapped, not copied: the result read from it stays right when another
    run replaces the entry or the size bound drops it."""
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    fresh = read(ledger, "ledger")
    read_ledger(ledger)
    cache.wait()
    held = read_ledger(ledger)
    [entry] = entries(folder)
    entry.unlink()                 # what the size bound does; a run that replaces it renames over it
    entry.write_bytes(b"y" * 64)
    same(held, fresh)
    assert held.data["qty"].sum() == fresh.data["qty"].sum()


def test_a_read_of_some_fields_has_its_own_entry_and_a_whole_entry_answers_it(tmp_path, folder, monkeypatch):
    """The risk copy reads ten fields: its entry is its own (a later whole read parses again and is
    whole); once a whole entry exists, a read of some fields comes from it."""
    from addin.compute.risk import RISK_FIELDS
    ledger = write_xlsx(tmp_path / "ledger.xlsx", rows())
    calls = parses(monkeypatch)
    some = read_ledger(ledger, fields=RISK_FIELDS)
    assert "customer" not in some.data.columns and "promised_date" in some.data.columns
    again = read_ledger(ledger, fields=RISK_FIELDS)
    same(again, some)
    assert len(calls) == 1 and len(entries(folder)) == 1
    whole = read_ledger(ledger)
    assert len(calls) == 2 and len(entries(folder)) == 2 and "customer" in whole.data.columns
    same(whole, read(ledger, "ledger"))
    monkeypatch.setattr("addin.readers.read", lambda *a, **k: pytest.fail("parsed again"))
    other = read_ledger(ledger, fields=("customer", "qty"))     # no entry of its own: the whole one
    same(other, whole)


def test_the_frame_is_streamed_into_the_entry_as_its_bytes_would_be(tmp_path):
    """The entry's frame is written from the table (its stream made twice, never whole in
    memory): the same length, checksum and bytes as the stream made in memory."""
    import zlib
    result = read(write_xlsx(tmp_path / "ledger.xlsx", rows(40)), "ledger")
    table, _ = cache._frame_table(result.data)
    streamed = cache._Streamed(table)
    whole = cache._ipc_bytes(table)
    assert (len(streamed), streamed.crc) == (len(whole), zlib.crc32(whole))
    a, b = tmp_path / "a.odcache", tmp_path / "b.odcache"
    assert cache.store(a, [b"head", streamed, b"tail"], 1 << 30)
    assert cache.store(b, [b"head", whole, b"tail"], 1 << 30)
    assert a.read_bytes() == b.read_bytes()
    assert not cache.store(tmp_path / "c.odcache", [b"head", streamed], len(whole))     # over the bound: not written
