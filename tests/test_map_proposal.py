"""`orderdesk map` (SPEC 9 item 3): a required field whose only header failed the value check is
named with that header and why; the table lines up under CJK headers (two terminal columns a
character)."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import openpyxl


def _book(path: Path, header: list[str], rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单"
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _map(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", "map", *args], capture_output=True, text=True,
                          timeout=180)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_a_due_date_of_day_counts_is_named_with_why_it_was_not_taken(tmp_path):
    f = _book(tmp_path / "lt.xlsx", ["订单号", "客户名称", "料号", "订单数量", "订单日期", "采购交期", "出货日期"],
              [[f"SO-{i}", "ACME", f"P-{i}", 10, dt.datetime(2026, 3, 1 + i), 15 + i, dt.datetime(2026, 3, 20 + i)]
               for i in range(6)])
    out = _map(str(f))
    assert out.returncode == 0, out.stderr
    assert ("  missing: requested_date (required) — closest headers: '采购交期' (holds day counts, not dates), "
            "'订单日期', '出货日期'") in out.stdout.splitlines()
    doc = json.loads(_map(str(f), "--format", "json").stdout)
    assert doc["missing"] == [{"field": "requested_date", "closest": ["采购交期", "订单日期", "出货日期"],
                               "not_fitting": [{"header": "采购交期", "why": "holds day counts, not dates"}]}]


def test_the_table_lines_up_under_chinese_and_english_headers(tmp_path):
    f = _book(tmp_path / "mix.xlsx", ["订单号", "Customer", "料号", "Order Qty", "客户要求交期", "Ship Date"],
              [["SO-1", "ACME", "P-1", 5, dt.datetime(2026, 3, 2), dt.datetime(2026, 3, 3)]])
    out = _map(str(f))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()[1:7]
    # the confidence starts in the same terminal column on every line
    starts = {_width(line[:re.search(r"confidence|\d\.\d\d", line).start()]) for line in lines}
    assert starts == {2 + 24 + 34}, lines


def test_check_names_the_due_date_column_that_holds_day_counts(tmp_path):
    f = _book(tmp_path / "lt.xlsx", ["订单号", "客户名称", "料号", "订单数量", "订单日期", "采购交期", "出货日期"],
              [[f"SO-{i}", "ACME", f"P-{i}", 10, dt.datetime(2026, 3, 1 + i), 15 + i, dt.datetime(2026, 3, 20 + i)]
               for i in range(6)])
    out = subprocess.run([sys.executable, "-m", "addin.cli", "check", str(f), "--kind", "sales"], capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 1
    assert ("no column for required field a due date (客户交期/RDD or 承诺交期/Ack Date or 首次承诺交期/First Commit Date; "
            "closest here: '采购交期' (holds day counts, not dates)) in the header (row 1)") in out.stderr, out.stderr


def test_every_mapping_entry_that_matches_nothing_is_named_at_once(tmp_path):
    from addin.errors import ConfigError
    from addin.readers import read
    import pytest
    f = _book(tmp_path / "o.xlsx", ["Order No", "Customer", "Part No", "Qty", "Due Date"],
              [["SO-1", "ACME", "A", 1, dt.datetime(2026, 5, 1)]])
    m = tmp_path / "map.toml"
    m.write_text('[columns]\nqty = "Qtyy"\ncustomer = "Kunde"\nrequested_date = "Due Date"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read(f, mapping=m)
    assert str(err.value) == ("map.toml: [columns] qty = 'Qtyy' (closest: 'Qty'); customer = 'Kunde': no such headers "
                              "in o.xlsx sheet '订单' row 1 — fix the header texts in the mapping")
