"""Memory of a large read, kept bounded without changing what is read: the canonical columns a
file does not fill share one array (copy-on-write), scattered-row lookups give the mapped pages
back, the parser child holds the parts being parsed (each parsed part goes to a file of its own),
and the risk copy lets the ledger's columns go once the risk is known."""
from __future__ import annotations

import gc
import os
import weakref

import numpy as np
import pandas as pd
import pytest

from addin.readers import grid, read
from addin.readers.values import Filled, copy_on_write

pytest.importorskip("fastexcel")
from tests.test_read_parts import _ledger, _same, _whole_parse  # noqa: E402
from tests.test_riskcopy import AS_OF, make_ledger  # noqa: E402


def assert_empty_columns_shared_and_edits_stay(data: pd.DataFrame) -> None:
    """``data``'s empty date and text columns share one array each (with copy-on-write); writing
    into one of them, in every way a caller can, leaves the others empty."""
    dates = [c for c in data.columns if str(data[c].dtype).startswith("datetime") and data[c].isna().all()]
    texts = [c for c in data.columns if data[c].dtype == object and data[c].isna().all()]
    assert len(dates) >= 3 and len(texts) >= 3
    if copy_on_write():
        assert np.shares_memory(data[dates[0]].to_numpy(), data[dates[1]].to_numpy())
    data.loc[data.index[0], dates[0]] = pd.Timestamp("2026-01-02")
    data.iloc[1, data.columns.get_loc(texts[0])] = "edited"
    data[texts[1]] = data[texts[1]].fillna("filled")
    assert data[dates[0]].notna().sum() == 1 and data[dates[1:]].isna().all().all()
    assert data[texts[0]].notna().sum() == 1 and data[texts[2:]].isna().all().all()
    assert (data[texts[1]] == "filled").all()


def test_columns_a_file_does_not_fill_share_one_array_and_edits_stay_in_their_column(tmp_path):
    assert_empty_columns_shared_and_edits_stay(read(make_ledger(tmp_path / "ledger.xlsx"), "ledger").data)


def test_filled_without_copy_on_write_makes_a_column_each(monkeypatch):
    monkeypatch.setattr("addin.readers.values.copy_on_write", lambda: False)
    made = Filled(5)
    a, b = (made.column("x", lambda n: np.full(n, np.nan)) for _ in range(2))
    assert not np.shares_memory(a.to_numpy(), b.to_numpy()) and a.dtype == "float64"


def test_cells_at_rows_are_the_columns_cells_and_the_pages_go_back(tmp_path, monkeypatch):
    path = _ledger(tmp_path / "ledger.xlsx", inline=False)
    monkeypatch.setattr(grid, "PART_XML_BYTES", 40_000)
    info, sheet, whole = _whole_parse(path, monkeypatch)
    monkeypatch.setattr(grid, "PART_XML_BYTES", 40_000)
    g = grid._load_isolated(path, info, sheet.name, 0)
    released = []
    monkeypatch.setattr(grid.Grid, "release_pages", lambda self: released.append(1))
    import pyarrow as pa
    at = pa.array([0, 7, 5000, 6030], pa.int64())
    n = g.batch.num_rows - 3
    for col in range(g.batch.num_columns):
        got = g.cells_at(col + g.col_offset, 3, n, at)
        expected = g.text_column(col + g.col_offset, 3, n)
        if expected.null_count == len(expected):
            assert got is None
        else:
            assert got.to_pylist() == [expected[i].as_py() for i in at.to_pylist()]
    assert len(released) == g.batch.num_columns


def test_the_parser_child_writes_each_part_before_the_last_is_parsed_and_leaves_no_file(tmp_path, monkeypatch):
    if not hasattr(os, "fork"):
        pytest.skip("parts are parsed in a forked child")
    path = _ledger(tmp_path / "ledger.xlsx", inline=True)
    info, sheet, whole = _whole_parse(path, monkeypatch)
    monkeypatch.setattr(grid, "PART_XML_BYTES", 40_000)
    events: list[str] = []
    parse, write = grid._parse_part, grid._write_ipc
    monkeypatch.setattr(grid, "_parse_part", lambda *a, **k: (events.append("parse"), parse(*a, **k))[1])
    monkeypatch.setattr(grid, "_write_ipc", lambda *a, **k: (events.append("spill"), write(*a, **k))[1])
    ipc = str(tmp_path / ".orderdesk-t.arrow")
    assert grid._parts_to_ipc(path, sheet.name, sheet.part, ipc) == whole.col_offset
    parses = events.count("parse")
    assert parses > 5 and events.count("spill") == parses
    assert events.index("spill") < len(events) - parses      # a part spilled while others were still to parse
    assert sorted(p.name for p in tmp_path.iterdir()) == [".orderdesk-t.arrow", "ledger.xlsx"]
    import pyarrow as pa
    joined = pa.ipc.open_file(pa.memory_map(ipc)).read_all()
    assert _same(joined, whole.batch)


def test_a_failed_part_leaves_no_part_file(tmp_path, monkeypatch):
    path = _ledger(tmp_path / "ledger.xlsx", inline=True)
    info, sheet, whole = _whole_parse(path, monkeypatch)
    monkeypatch.setattr(grid, "PART_XML_BYTES", 40_000)
    calls = []
    parse = grid._parse_part

    def fails_at_the_fourth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("a damaged part")
        return parse(*args, **kwargs)
    monkeypatch.setattr(grid, "_parse_part", fails_at_the_fourth)
    with pytest.raises(grid._NotSplittable):
        grid._parts_to_ipc(path, sheet.name, sheet.part, str(tmp_path / ".orderdesk-t.arrow"))
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.xlsx"]


def test_the_risk_copy_lets_the_ledgers_columns_go_before_it_copies(tmp_path, monkeypatch):
    """Handed a read no one else holds, the copy keeps only each line's row and risk while it
    writes (the ledger's other columns are a quarter of a GB at a million lines)."""
    from addin.writers import riskcopy
    ledger = make_ledger(tmp_path / "ledger.xlsx")
    refs: list = []
    alive_when_copying: list = []

    def fresh_read():
        result = read(ledger, "ledger")
        refs.append(weakref.ref(result.data))
        return result
    real = riskcopy._write_copy

    def copy(source, tmp, placed, targets, *args, **kwargs):
        gc.collect()
        alive_when_copying.append(refs[0]() is not None)
        # each line's row and risk, 9 bytes a line
        assert (targets.rows.dtype, targets.codes.dtype) == (np.int64, np.int8)
        assert targets.rows.tolist() == sorted(targets.rows.tolist())
        assert sorted(targets.risks[c] for c in targets.codes) == sorted(["overdue", "at_risk", "done", "cancelled",
                                                                           "on_track"])
        return real(source, tmp, placed, targets, *args, **kwargs)
    monkeypatch.setattr(riskcopy, "_write_copy", copy)
    summary = riskcopy.write_risk_copy(fresh_read(), out=tmp_path / "copy.xlsx", as_of=AS_OF)
    assert alive_when_copying == [False]
    assert (summary.overdue, summary.at_risk, summary.done, summary.cancelled) == (1, 1, 1, 1)
    import openpyxl
    ws = openpyxl.load_workbook(tmp_path / "copy.xlsx")["订单"]
    assert [ws.cell(r, 9).value for r in range(4, 9)].count(None) == 0
