"""The risk copy of a million-line ledger within 300 MB (issue 15), with the same result as before:
a read of some fields (``read(..., fields=)``) accepts, rejects and reports exactly as a whole
read and frames only those fields; the risk needs only :data:`RISK_FIELDS`; the pieces made to
hold less memory (entry codes in small types, chunk-wise lookups, the sums one column at a time,
the risk a block at a time, the copy's targets) give what the plain computation gives.

The peak itself is measured by ``bench/peak_rss.py`` (bench/README.md), not asserted here."""
from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from addin import schema
from addin.compute import risk as risk_mod
from addin.compute.calendar import WorkingCalendar
from addin.compute.filters import FILTER_FIELDS
from addin.compute.risk import RISK_FIELDS, RISKS, assess_risk
from addin.readers import grid, read, rows, values
from addin.readers.table import Mapping
from tests.conftest import ROOT
from tests.test_reader_speed_equiv import write_ledger

AS_OF = dt.date(2026, 3, 20)
MAPS = ROOT / "tests" / "maps"


def _same_read(path, fields, **kw) -> None:
    whole = read(path, "ledger", **kw)
    some = read(path, "ledger", fields=fields, **kw)
    assert some.rows == whole.rows
    assert [i.as_dict() for i in some.issues] == [i.as_dict() for i in whole.issues]
    assert some.notes == whole.notes and some.placeholders == whole.placeholders
    assert some.columns == whole.columns and some.column_letters == whole.column_letters
    framed = [f for f in schema.KINDS["ledger"] if f in set(fields)] + ["source_row"]
    assert list(some.data.columns) == framed
    pd.testing.assert_frame_equal(some.data, whole.data[framed])


def test_a_read_of_some_fields_is_the_whole_read_narrowed(tmp_path):
    """Odd cells (text numbers, dates without a year, issues, a total row): the same rows, issues
    and notes; the frame holds the asked fields, in the canonical order, with the same values."""
    path = write_ledger(tmp_path / "odd.xlsx")
    _same_read(path, RISK_FIELDS)
    _same_read(path, ("customer", "order_no", "unit_price"))
    _same_read(path, ())


def test_a_read_in_parts_of_some_fields_is_the_whole_read_narrowed(tmp_path, monkeypatch):
    """Columns of a sheet parsed in parts (chunked Arrow columns): encoded and looked up chunk
    by chunk, the same read."""
    pytest.importorskip("fastexcel")
    from tests.test_read_parts import _ledger
    path = _ledger(tmp_path / "parts.xlsx", inline=False)
    monkeypatch.setattr(grid, "PART_XML_BYTES", 40_000)
    _same_read(path, (*RISK_FIELDS, "customer"))
    monkeypatch.setattr(grid, "PART_XML_BYTES", 0)       # parsed whole: one chunk
    parts = read(path, "ledger", fields=RISK_FIELDS)
    monkeypatch.setattr(grid, "PART_XML_BYTES", 40_000)
    whole = read(path, "ledger", fields=RISK_FIELDS)
    pd.testing.assert_frame_equal(parts.data, whole.data)
    assert [i.as_dict() for i in parts.issues] == [i.as_dict() for i in whole.issues]


@pytest.mark.parametrize("name", ["sample_ledger_en.xlsx", "sample_ledger_zh.xlsx"])
def test_the_sample_ledgers_read_of_some_fields(name):
    _same_read(ROOT / "workbook_templates" / name, (*RISK_FIELDS, *FILTER_FIELDS.values()))


@pytest.mark.parametrize("name, mapping", [("SCMS_Delivery_History_Dataset.csv", "scms.toml"),
                                           ("DataCoSupplyChainDataset_6k_sample.csv", "dataco.toml"),
                                           ("olist_orders_dataset_1k_original_format.csv", "olist_orders.toml")])
def test_real_ledgers_read_of_some_fields(real_data, name, mapping):
    _same_read(real_data / name, RISK_FIELDS, mapping=Mapping.load(MAPS / mapping))


def _random_ledger(n: int, seed: int = 7) -> pd.DataFrame:
    """Every ledger field filled, the risk's every path taken: cancelled, closed without a ship
    date, partial shipments, missed milestones, no due date, due inside and past the horizon."""
    rng = random.Random(seed)
    day = pd.Timestamp(AS_OF)

    def date(p_empty=0.2):
        return None if rng.random() < p_empty else day + pd.Timedelta(days=rng.randint(-40, 40))
    out: dict[str, list] = {f: [] for f in schema.LEDGER}
    for i in range(n):
        for f, kind in schema.LEDGER.items():
            if kind == schema.DATE:
                v = date()
            elif kind == schema.NUMBER:
                v = None if rng.random() < 0.1 else float(rng.choice([0, 5, 10, 100]))
            elif kind == schema.STATUS:
                v = rng.choice(["open", "in_progress", "shipped", "closed", "cancelled", None])
            elif kind == schema.BOOL:
                v = rng.choice([True, False, None])
            elif kind == schema.LIST:
                v = None
            else:
                v = rng.choice(["A", "B", None, f"x{i % 7}"])
            out[f].append(v)
    frame = pd.DataFrame(out)
    for f, kind in schema.LEDGER.items():
        if kind == schema.DATE:
            frame[f] = pd.to_datetime(frame[f])
        elif kind == schema.NUMBER:
            frame[f] = frame[f].astype("float64")
    return frame


@pytest.mark.parametrize("basis", ["promised", "requested", "first_promised", "agreed"])
def test_the_risk_reads_only_its_fields(basis):
    """Every other field of a filled-in ledger taken away: the same risks and reasons (a field
    the risk starts to read must be added to RISK_FIELDS, or the risk copy would miss it)."""
    ledger = _random_ledger(3000)
    cal = WorkingCalendar.cn()
    whole = assess_risk(ledger, AS_OF, cal, 5, basis=basis, lang="en")
    some = assess_risk(ledger[[f for f in ledger.columns if f in RISK_FIELDS]], AS_OF, cal, 5, basis=basis, lang="en")
    pd.testing.assert_frame_equal(whole, some)
    assert set(whole["risk"]) == set(RISKS)
    assert set(RISK_FIELDS) <= set(schema.LEDGER)


def test_the_risk_block_by_block_and_without_reasons_is_the_same(monkeypatch):
    ledger = _random_ledger(2500, seed=11).set_axis(pd.RangeIndex(100, 2600))
    projected = pd.Series(pd.to_datetime(ledger["promised_date"]) + pd.Timedelta(days=3)).reset_index(drop=True)
    cal = WorkingCalendar.cn()
    monkeypatch.setattr(risk_mod, "_BLOCK", 10 ** 9)
    one = assess_risk(ledger, AS_OF, cal, 5, projected_finish=projected, lang="zh")
    monkeypatch.setattr(risk_mod, "_BLOCK", 333)
    blocks = assess_risk(ledger, AS_OF, cal, 5, projected_finish=projected, lang="zh")
    pd.testing.assert_frame_equal(one, blocks)
    bare = assess_risk(ledger, AS_OF, cal, 5, projected_finish=projected, lang="zh", reasons=False)
    assert list(bare.columns) == ["risk"]
    pd.testing.assert_series_equal(bare["risk"], one["risk"])
    assert one["risk_reason"].notna().sum() > 100


def test_entry_codes_take_the_smallest_type_and_years_placed_past_it():
    """A column of 250 distinct dates has one-byte codes; 300 rows of dates without a year each
    get an entry of their own (past 255): every row keeps its date."""
    cells = [f"2026-01-{1 + i % 28:02d} 00:00:00" if i % 2 else f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} 00:00:00"
             for i in range(250)]
    import pyarrow as pa
    col = values.distinct(values.text_series(pa.array(cells * 4), pd.RangeIndex(1000)))
    assert col.codes.dtype == np.uint8
    order = values.distinct(values.text_series(pa.array([f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} 00:00:00"
                                                         for i in range(300)]), pd.RangeIndex(300)))
    noyear = values.distinct(values.text_series(pa.array([f"{1 + i % 12}月{1 + i % 28}" for i in range(300)]),
                                                pd.RangeIndex(300)))
    assert noyear.codes.dtype == np.uint16 or len(noyear.values) <= 256
    ref, _, _ = values.date_coded(order)
    dates, problems, _ = values.date_coded(noyear, year_hint=ref)
    got = pd.Series(dates.rows())
    want = pd.Series([pd.Timestamp(2026, 1 + i % 12, 1 + i % 28) for i in range(300)])
    assert (got == want).all() and pd.isna(problems.rows()).all()
    assert dates.codes.max() < np.iinfo(dates.codes.dtype).max + 1


def test_take_from_chunks_is_takes_from_the_joined_column():
    import pyarrow as pa
    rng = random.Random(3)
    cells = [rng.choice(["x", "y", None, "zz", "合计"]) for _ in range(1000)]
    cuts = sorted(rng.sample(range(1, 1000), 9)) + [1000]
    chunks = pa.chunked_array([pa.array(cells[a:b], pa.string()) for a, b in zip([0, *cuts[:-1]], cuts)]
                              + [pa.array([], pa.string())])
    for _ in range(300):
        at = np.array(rng.choices(range(1000), k=rng.randint(0, 40)), dtype=np.int64)
        assert grid.take(chunks, at).to_pylist() == [cells[i] for i in at]
        assert grid.take(chunks, pa.array(at, pa.int64())).to_pylist() == [cells[i] for i in at]
    assert grid.take(pa.array(cells), np.array([3, 1])).to_pylist() == [cells[3], cells[1]]


def _sum_rows_reference(numbers: dict, data: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """The unlabelled-total rule written plainly, one candidate at a time."""
    out = np.zeros(len(data), bool)
    prev = 0
    for at in np.flatnonzero(candidates):
        any_filled, all_match = False, True
        lines_here, lines_prev = int(data[:at].sum()), int(data[:prev].sum())
        for value, filled in numbers.values():
            v = np.where(data & filled, np.nan_to_num(value), 0.0)
            if not filled[at]:
                continue
            any_filled = True
            total, segment, grand = value[at], v[prev:at].sum(), v[:at].sum()
            tol = 1e-6 * max(1.0, abs(total))
            ok = (abs(total - segment) <= tol and lines_here - lines_prev >= 2) or \
                 (abs(total - grand) <= tol and lines_here >= 2)
            all_match &= ok
        out[at] = any_filled and all_match
        prev = at + 1
    return out


def test_the_sums_check_one_column_at_a_time_finds_the_same_totals():
    rng = np.random.default_rng(5)
    for trial in range(60):
        n = int(rng.integers(1, 60))
        value = rng.integers(0, 5, n).astype(float)
        filled = rng.random(n) < 0.9
        value[~filled] = np.nan
        other = rng.integers(0, 3, n).astype(float)
        candidates = rng.random(n) < 0.2
        for at in np.flatnonzero(candidates)[: 2]:       # some candidates are true sums
            value[at] = np.nansum(value[:at])
            filled[at] = True
        data = ~candidates | (rng.random(n) < 0.2)      # a candidate may be a line too
        numbers = {"qty": (value, filled), "other": (other, np.ones(n, bool))}
        want = _sum_rows_reference(numbers, data, candidates)
        got = rows._sum_rows({k: (lambda v=v: v) for k, v in numbers.items()}, data, candidates)
        assert (got == want).all(), trial


def test_the_copys_targets_are_each_row_once_below_the_header():
    from addin.writers.riskcopy import _Targets
    data = pd.DataFrame({"source_row": [9, 4, 7, 4, 2, 12]})
    risk = pd.Series(["done", "overdue", "at_risk", "overdue", "on_track", "cancelled"])
    t = _Targets.of(data, risk, header_row=3)
    assert t.rows.tolist() == [4, 7, 9, 12] and t.codes.dtype == np.int8
    assert [t.risks[c] for c in t.codes] == ["overdue", "at_risk", "done", "cancelled"]
    odd = _Targets.of(pd.DataFrame({"source_row": [5, 6]}), pd.Series(["late?", "done"]), header_row=1)
    assert [odd.risks[c] for c in odd.codes] == ["late?", "done"]
    empty = _Targets.of(pd.DataFrame({"source_row": []}), pd.Series([], dtype=object), header_row=1)
    assert len(empty.rows) == 0


def test_the_copy_of_the_users_workbook_reads_only_the_risks_fields(tmp_path, monkeypatch):
    """``orderdesk risk`` into a copy of an .xlsx reads RISK_FIELDS (and the filters' fields when
    filtering); a separate workbook, which shows every column, reads them all. Both give the
    same risks."""
    from dataclasses import replace
    from addin.compute.filters import LineFilter
    from addin.config import Settings
    from addin.jobs import risk as job
    from tests.test_riskcopy import AS_OF as DAY, make_ledger
    asked: list = []
    real = job.read_ledger

    def recording(source, **kw):
        asked.append(kw.get("fields"))
        return real(source, **kw)
    monkeypatch.setattr(job, "read_ledger", recording)
    ledger = make_ledger(tmp_path / "ledger.xlsx")
    copy = job.risk_copy(ledger, Settings(), as_of=DAY, lang="en", out=tmp_path / "copy.xlsx")
    assert set(asked.pop()) == set(RISK_FIELDS)
    apart = job.risk_copy(ledger, Settings(), as_of=DAY, lang="en", out=tmp_path / "apart.xlsx", separate=True)
    assert asked.pop() is None
    assert [getattr(copy, r) for r in RISKS] == [getattr(apart, r) for r in RISKS] and copy.rows == apart.rows
    customer = read(ledger, "ledger").data["customer"].dropna().iloc[0]
    chosen = job.risk_copy(ledger, replace(Settings(), filters=LineFilter(customer=(customer,))), as_of=DAY,
                           lang="en", out=tmp_path / "chosen.xlsx")
    assert set(asked.pop()) == set(RISK_FIELDS) | set(FILTER_FIELDS.values())
    assert 0 < chosen.rows < copy.rows
