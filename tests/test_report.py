"""The monthly OTD workbook, written from a real ledger file and opened again; every formula's
cached value checked against LibreOffice recalculating the file."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

import lo
from addin.errors import FileError
from addin.compute.otd import OtdSettings, classify, otd_json, summarise
from addin.readers import read
from addin.compute.monthly import add_months
from addin.writers.monthly import LIVE_FORMULA_LIMIT, build_model, write_report

AS_OF = dt.date(2026, 4, 5)
MONTH = dt.date(2026, 3, 1)
NOTE_FORMULA = '=HYPERLINK("http://x","click")'
CUSTOMERS = ["ACME", "Acme", "Bolt*Co", "<10 Ltd", "华为技术", "00123", "Zeta Tools"]
PARTS = ["A-100", "B-200", "C-300", "00456", "X?1"]
OWNERS = ["张三", "李四", "Wang", None]
CAUSES = [("缺料", None), (None, "设备故障停机两天"), (None, "客户改单"), (None, NOTE_FORMULA), (None, None),
          ("品质", "返工"), (None, "http://example.com/ticket/1")]


def make_ledger(path: Path, n: int = 400, seed: int = 7, shipped_qty: bool = True) -> Path:
    """A ledger as a coordinator keeps it: a title row, Chinese headers, dates, mixed outcomes."""
    rnd = random.Random(seed)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单跟踪"
    ws.append(["2026 年订单跟踪表"])
    header = ["订单号", "行号", "客户", "料号", "订单数量", "订单日期", "客户交期", "首次承诺交期", "承诺交期",
              "实际出货日期", "出货数量", "状态", "跟单员", "异常类型", "异常说明", "改善措施", "完成期限"]
    if not shipped_qty:
        header.remove("出货数量")
    ws.append(header)
    for i in range(n):
        requested = dt.date(2025, 3, 1) + dt.timedelta(days=rnd.randrange(430))
        first = requested + dt.timedelta(days=rnd.choice([0, 0, 0, 2, 5]))
        promised = first + dt.timedelta(days=rnd.choice([0, 0, 0, 0, 3, 7]))
        late = rnd.random() < 0.15
        ship = promised + dt.timedelta(days=rnd.choice([2, 4, 9]) if late else rnd.choice([-3, -1, 0, 0]))
        if ship > AS_OF - dt.timedelta(days=rnd.choice([0, 10, 40])):
            ship = None   # still open
        qty = rnd.choice([100, 200, 500, 1200])
        shipped = None if ship is None else (qty if rnd.random() < 0.92 else qty - 10)
        status = "已取消" if rnd.random() < 0.03 else ("已出货" if ship else "生产中")
        etype, note = rnd.choice(CAUSES)
        action, deadline = (rnd.choice([("加急采购", AS_OF + dt.timedelta(days=7)), (None, None)])
                            if late else (None, None))
        row = [f"PO-{i:04d}", str(1 + i % 3), rnd.choice(CUSTOMERS), rnd.choice(PARTS), qty,
               requested - dt.timedelta(days=30), requested, first, promised, ship, shipped, status,
               rnd.choice(OWNERS), etype, note, action, deadline]
        if not shipped_qty:
            del row[10]
        ws.append(row)
        for c in ws[ws.max_row]:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"   # the user typed it as text (openpyxl would make it a formula)
    wb.save(path)
    return path


def _write(tmp: Path, lang: str, **kw) -> tuple[Path, object, object]:
    ledger = make_ledger(tmp / "ledger.xlsx", shipped_qty=kw.pop("shipped_qty", True))
    result = read(ledger, kind="ledger")
    out = tmp / f"otd-{lang}.xlsx"
    summary = write_report(result, month=MONTH, out=out, as_of=AS_OF, settings=OtdSettings(), lang=lang, **kw)
    return out, result, summary


@pytest.fixture(scope="module", params=["zh", "en"])
def written(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"report-{request.param}")
    out, result, summary = _write(tmp, request.param)
    return request.param, out, result, summary, tmp


@pytest.fixture(scope="module")
def recalculated(written):
    """The workbook as LibreOffice recalculates it (once per language)."""
    lang, out, *_, tmp = written
    lo.require_soffice()
    return lo.recalculate(out, tmp / "lo")


SHEETS = {"zh": ["汇总", "按客户", "按料号", "按跟单员", "趋势", "原因分析", "延误与风险", "异常记录", "升级事项",
                 "未交订单", "交货周期", "数据", "数据问题", "说明"],
          "en": ["Summary", "By customer", "By part", "By owner", "Trend", "Root causes", "Late and at risk",
                 "Exception log", "Escalation", "Backlog", "Lead times", "Data", "Data issues", "About"]}


def test_sheets_table_charts_and_formats(written):
    lang, out, result, summary, _ = written
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == SHEETS[lang]
    data = wb[SHEETS[lang][11]]
    assert list(data.tables) == ["OrderData"]
    table = data.tables["OrderData"]
    headers = [c.value for c in data[1]]
    for needed in ("customer", "part_no", "owner", "month", "outcome", "days_late", "severity", "in_full",
                   "root_cause", "risk", "outcome_requested", "month_first_promised", "source_row"):
        assert needed in headers
    assert table.ref == f"A1:{openpyxl.utils.get_column_letter(len(headers))}{len(result.data) + 1}"
    with zipfile.ZipFile(out) as zf:
        charts = [n for n in zf.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        assert len(charts) == 3   # trend on the summary and trend sheets, Pareto
        pareto = [zf.read(n).decode() for n in charts if "<c:barChart>" in zf.read(n).decode()]
        assert len(pareto) == 1 and "<c:lineChart>" in pareto[0] and pareto[0].count("<c:valAx>") == 2
    summary_ws = wb[SHEETS[lang][0]]
    rules = [r for cf in summary_ws.conditional_formatting for r in cf.rules]
    assert any(r.type == "colorScale" for r in rules)
    pivot = wb[SHEETS[lang][1]]
    assert any(r.type == "colorScale" for cf in pivot.conditional_formatting for r in cf.rules)
    assert pivot.freeze_panes == "B6" and pivot.auto_filter.ref
    late = wb[SHEETS[lang][6]]
    assert any(r.type == "expression" for cf in late.conditional_formatting for r in cf.rules)
    assert pivot.page_setup.orientation == "landscape" and pivot.sheet_properties.pageSetUpPr.fitToPage
    assert pivot.print_title_rows == "$5:$5"
    assert summary_ws["B17"].number_format == "0.0%"
    assert data.cell(2, headers.index("due_date") + 1).number_format == "yyyy-mm-dd"


def test_every_cached_value_is_what_libreoffice_computes(written, recalculated):
    lang, out, *_ = written
    cached = lo.formulas_and_cached(out)
    assert len(cached) > 400
    assert any("COUNTIFS(OrderData[customer]" in f for f, _ in cached.values())
    assert any("EXACT(OrderData[customer]" in f for f, _ in cached.values())   # ACME vs Acme, Bolt*Co
    recalced = lo.values(recalculated)
    bad = [f"{s}!{c} {f}: cached {v!r}, LibreOffice {recalced.get((s, c))!r}"
           for (s, c), (f, v) in cached.items() if not lo.same_value(v, recalced.get((s, c)))]
    assert bad == []


def test_the_check_catches_a_wrong_cached_value(tmp_path):
    """The comparison above can fail: a COUNTIFS cached as 999 is reported."""
    import xlsxwriter
    path = tmp_path / "wrong.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    ws.add_table(0, 0, 2, 0, {"name": "T_x", "columns": [{"header": "k"}], "data": [["a"], ["a"]]})
    ws.write_formula(0, 2, '=COUNTIFS(T_x[k],"a")', None, 999)
    ws.write_formula(1, 2, '=COUNTIFS(T_x[k],"a")', None, 2)
    wb.close()
    lo.require_soffice()
    assert lo.mismatches(path, tmp_path / "lo") == ["Sheet1!C1 =COUNTIFS(T_x[k],\"a\"): cached 999, LibreOffice 2"]


def test_user_text_is_never_a_formula_or_link(written):
    lang, out, result, *_ = written
    wb = openpyxl.load_workbook(out)
    formula_sheets = set(SHEETS[lang][:6])
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert ws.title in formula_sheets, (ws.title, c.coordinate, c.value)
    data = wb[SHEETS[lang][11]]
    notes = [c.value for c in data[openpyxl.utils.get_column_letter(
        [c.value for c in data[1]].index("exception_note") + 1)]]
    assert NOTE_FORMULA in notes and "http://example.com/ticket/1" in notes
    assert all(c.data_type == "s" for c in data[1] if c.value == NOTE_FORMULA)
    for ws in wb.worksheets:
        assert not ws._hyperlinks
    exc = wb[SHEETS[lang][7]]
    assert NOTE_FORMULA in [c.value for c in exc["A"]]


def _engine_month(result, month: dt.date, basis: str = "promised") -> dict:
    end = add_months(month, 1) - dt.timedelta(days=1)
    return otd_json(result, AS_OF, OtdSettings(basis=basis), start=month, end=end)["total"]


def test_summary_figures_are_the_engine_figures(written, recalculated):
    lang, out, result, summary, _ = written
    for month, figures in ((MONTH, summary), (add_months(MONTH, -1), summary.previous),
                           (add_months(MONTH, -12), summary.last_year)):
        engine = _engine_month(result, month)
        assert (figures.lines, figures.on_time, figures.late, figures.early, figures.pending) == \
            (engine["lines"], engine["on_time"], engine["late"], engine["early"], engine["pending"])
        assert round(figures.otd, 4) == engine["otd"] and round(figures.otif, 4) == engine["otif"]
    assert summary.lines > 10 and 0 < summary.late < summary.lines
    for basis, figures in summary.ladder.items():
        assert round(figures.otd, 4) == _engine_month(result, MONTH, basis)["otd"]
    # the cells a manager reads: as written and as LibreOffice recalculates them
    for path in (out, recalculated):
        ws = openpyxl.load_workbook(path, data_only=True)[SHEETS[lang][0]]
        assert [ws[f"B{r}"].value for r in range(12, 17)] == \
            [summary.lines, summary.on_time, summary.late, summary.early, summary.pending]
        assert ws["B17"].value == pytest.approx(summary.otd) and ws["C17"].value == pytest.approx(summary.previous.otd)
        assert ws["D17"].value == pytest.approx(summary.last_year.otd)
        assert ws["B18"].value == pytest.approx(summary.otif)
        assert ws["A6"].value == pytest.approx(summary.otd)    # the big tile
    # severity split and top causes equal the engine's classification of the month's late lines
    classified = classify(result.data, AS_OF, OtdSettings())
    late = classified[(classified["month"] == "2026-03") & (classified["outcome"] == "late")]
    assert (summary.major, summary.general) == ((late["severity"] == "major").sum(), (late["severity"] == "general").sum())
    assert summary.top_causes[0].count == late["root_cause"].value_counts().iloc[0]


def test_pivot_by_customer_equals_engine(written):
    lang, out, result, *_ = written
    ws = openpyxl.load_workbook(out, data_only=True)[SHEETS[lang][1]]
    classified = classify(result.data, AS_OF, OtdSettings())
    table = summarise(classified, ["customer", "month"])
    expect = {(r["customer"], r["month"]): r["otd"] for r in table.to_dict("records") if not r["is_total"]}
    months = [ws.cell(5, c).value for c in range(2, 14)]
    assert months[-1] == dt.datetime(2026, 3, 1) and months[0] == dt.datetime(2025, 4, 1)
    seen = set()
    for r in range(6, ws.max_row + 1):
        customer = ws.cell(r, 1).value
        seen.add(customer)
        for j, month in enumerate(months):
            want = expect.get((customer, f"{month:%Y-%m}"))
            got = ws.cell(r, 2 + j).value
            if want is None or want != want:
                assert got in (None, ""), (customer, month)
            else:
                assert got == pytest.approx(want), (customer, month)
    assert {"ACME", "Acme", "Bolt*Co", "<10 Ltd", "00123"} <= seen


def test_about_sheet_names_definitions_sources_and_version(written):
    lang, out, result, *_ = written
    from addin.version import __version__
    ws = openpyxl.load_workbook(out)[SHEETS[lang][-1]]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    digest = hashlib.sha256(Path(result.path).read_bytes()).hexdigest()
    assert digest in text and "ledger.xlsx" in text and __version__ in text and AS_OF.isoformat() in text
    assert ("准时: 已出货" in text) if lang == "zh" else ("On time: shipped" in text)


def test_data_issues_sheet_names_the_source_cell(tmp_path):
    ledger = make_ledger(tmp_path / "ledger.xlsx", n=60)
    wb = openpyxl.load_workbook(ledger)
    ws = wb.active
    ws.append(["PO-BAD", "1", "ACME", "A-100", 10, None, "31/02/2026", None, None, None, None, "生产中"])
    wb.save(ledger)
    result = read(ledger, kind="ledger")
    assert result.issues
    out = tmp_path / "otd.xlsx"
    write_report(result, month=MONTH, out=out, as_of=AS_OF, lang="en")
    issues = openpyxl.load_workbook(out)["Data issues"]
    cells = [c.value for c in issues["A"]]
    assert result.issues[0].cell in cells


def test_without_shipped_quantities_otif_is_unknown(tmp_path):
    out, result, summary = _write(tmp_path, "en", shipped_qty=False)
    assert summary.otif is None
    ws = openpyxl.load_workbook(out)["Summary"]
    assert ws["B18"].value == "unknown (no shipped qty)" and ws["B18"].data_type == "s"


def test_values_instead_of_formulas_when_forced_and_the_limit_is_measured(tmp_path):
    out, result, summary = _write(tmp_path, "en", live=False)
    assert summary.live_formulas is False
    wb = openpyxl.load_workbook(out)
    assert not any(c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    assert "pivots are values" in wb["Summary"]["A3"].value
    assert wb["Summary"]["B17"].value == pytest.approx(summary.otd)
    # values mode: the Data table holds the month's lines and the overdue / at-risk ones only
    model = build_model(result, month=MONTH, as_of=AS_OF, lang="en")
    c = model.classified
    expected = int(((c["month"] == model.month_key) | c["risk"].isin(["overdue", "at_risk"])).sum())
    data = [ws for ws in wb.worksheets if ws.tables][0]
    assert 0 < expected < len(c)
    assert data.max_row - 1 == expected
    assert model.live and 0 < model.cost < LIVE_FORMULA_LIMIT


def test_never_writes_into_the_input(tmp_path):
    ledger = make_ledger(tmp_path / "ledger.xlsx", n=30)
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    result = read(ledger, kind="ledger")
    with pytest.raises(FileError) as err:
        write_report(result, month=MONTH, out=ledger, as_of=AS_OF)
    assert str(err.value) == ("ledger.xlsx is one of the input files — choose a different output name so the "
                              "input is not overwritten")
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before


def test_command_line(tmp_path, capsys):
    from addin.cli import main
    ledger = make_ledger(tmp_path / "ledger.xlsx", n=80)
    out = tmp_path / "OTD-2026-03.xlsx"
    code = main(["report", str(ledger), "--month", "2026-03", "--out", str(out), "--as-of", "2026-04-05",
                 "--lang", "en"])
    assert code == 0
    assert capsys.readouterr().out.startswith(f"Wrote {out}: 2026-03, ")
    assert openpyxl.load_workbook(out).sheetnames == SHEETS["en"]
    assert main(["report", str(ledger), "--out", str(out), "--lang", "en"]) == 2
    assert "--month YYYY-MM is required" in capsys.readouterr().err


def test_summary_renders_for_a_manager(tmp_path):
    """Render to PNG (LibreOffice -> PDF -> pdftoppm) for a person to look at; the page must exist
    and not be blank. tests/out/ keeps the pictures when ORDERDESK_KEEP_RENDER is set."""
    import os
    out, *_ = _write(tmp_path, "zh")
    lo.require_soffice()
    pngs = lo.to_png(out, tmp_path / "png")
    assert pngs and pngs[0].stat().st_size > 20_000
    keep = os.environ.get("ORDERDESK_KEEP_RENDER")
    if keep:
        import shutil
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(pngs[0], Path(keep) / "summary-zh.png")


def test_a_month_without_lines_and_an_empty_ledger(tmp_path):
    ledger = make_ledger(tmp_path / "ledger.xlsx", n=5)
    result = read(ledger, kind="ledger")
    out = tmp_path / "future.xlsx"
    summary = write_report(result, month=dt.date(2030, 1, 1), out=out, as_of=dt.date(2030, 2, 1), lang="en")
    assert (summary.lines, summary.otd, summary.top_causes) == (0, None, [])
    wb = openpyxl.load_workbook(out)
    assert wb["Root causes"]["A6"].value == "No late lines this month"
    with zipfile.ZipFile(out) as zf:
        assert len([n for n in zf.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]) == 2
    empty = write_report(result.data.iloc[0:0], month=MONTH, out=tmp_path / "empty.xlsx", as_of=AS_OF, lang="zh")
    assert (empty.lines, empty.otd, empty.previous.lines) == (0, None, 0)
