"""Working calendars: Excel WORKDAY / NETWORKDAYS semantics over cn (with 调休) and mon-fri."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.compute.calendar import RANGE_END, RANGE_START, WorkingCalendar

from addin.readers.calendar import load_calendar
from addin.errors import ConfigError, FileError, InputError

D = dt.date
CN = WorkingCalendar.cn()
MF = WorkingCalendar.mon_fri()
BOTH = pytest.mark.parametrize("cal", [CN, MF], ids=["cn", "mon-fri"])


def naive_workday(cal: WorkingCalendar, start: dt.date, n: int) -> dt.date:
    """Excel WORKDAY by walking day by day: the reference the fast version must equal."""
    day, left = start, abs(n)
    step = dt.timedelta(days=1 if n > 0 else -1)
    while left:
        day += step
        if cal.is_working(day):
            left -= 1
    return day


# ---------------------------------------------------------------- the data itself

def test_cn_equals_chinese_calendar_is_workday_over_every_covered_day():
    first = min(chinese_calendar.holidays).year
    last = max(chinese_calendar.holidays).year
    days = pd.date_range(f"{first}-01-01", f"{last}-12-31", freq="D")
    expected = [chinese_calendar.is_workday(d.date()) for d in days]
    assert CN.is_working_many(pd.Series(days)).tolist() == expected
    assert CN.covers(D(last, 12, 31)) and CN.covers(D(first, 1, 1))
    assert not CN.covers(D(last + 1, 1, 1)) and not CN.covers(D(first - 1, 12, 31))


def test_cn_outside_covered_years_is_monday_to_friday():
    last = max(chinese_calendar.holidays).year
    days = pd.Series(pd.date_range(f"{last + 1}-01-01", f"{last + 3}-12-31", freq="D"))
    assert CN.is_working_many(days).tolist() == (days.dt.day_of_week < 5).tolist()
    assert CN.is_working(D(1990, 10, 1))  # before 2004: no data, a Monday is a working day


def test_mon_fri_has_no_holidays_and_covers_every_year():
    assert MF.is_working(D(2026, 10, 1)) and not MF.is_working(D(2026, 2, 14))
    assert MF.covers(D(2150, 6, 1))
    assert len(MF.working_days(D(2026, 1, 1), D(2026, 12, 31))) == 261


# ---------------------------------------------------------------- Excel WORKDAY

@BOTH
def test_workday_ten_working_days_after_monday_2_march_2026(cal):
    assert cal.workday(D(2026, 3, 2), 10) == D(2026, 3, 16)


def test_2026_spring_festival_lead_time_counts_make_up_saturdays_not_festival_weekdays():
    # 2026 data: holiday Sun 15 Feb .. Mon 23 Feb; make-up working Saturdays 14 Feb and 28 Feb.
    assert CN.is_working(D(2026, 2, 14)) and CN.is_working(D(2026, 2, 28))
    assert not any(CN.is_working(D(2026, 2, d)) for d in range(15, 24))
    assert CN.working_days(D(2026, 2, 12), D(2026, 3, 2)).astype(str).tolist() == [
        "2026-02-12", "2026-02-13", "2026-02-14",
        "2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27", "2026-02-28", "2026-03-02"]
    # A 5-working-day lead time quoted on Thursday 12 Feb.
    assert CN.workday(D(2026, 2, 12), 1) == D(2026, 2, 13)
    assert CN.workday(D(2026, 2, 12), 2) == D(2026, 2, 14)   # the make-up Saturday
    assert CN.workday(D(2026, 2, 12), 3) == D(2026, 2, 24)   # skips the 9 festival days
    assert CN.workday(D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert CN.workday(D(2026, 2, 12), 7) == D(2026, 2, 28)   # the second make-up Saturday
    assert CN.workday(D(2026, 2, 12), 8) == D(2026, 3, 2)
    # Plain Mon-Fri sees none of it.
    assert MF.workday(D(2026, 2, 12), 5) == D(2026, 2, 19)
    assert CN.networkdays(D(2026, 2, 1), D(2026, 2, 28)) == 16
    assert MF.networkdays(D(2026, 2, 1), D(2026, 2, 28)) == 20


def test_2026_national_day_golden_week():
    # 2026: 1-7 Oct off; Sunday 20 Sep and Saturday 10 Oct worked.
    assert not any(CN.is_working(D(2026, 10, d)) for d in range(1, 8))
    assert CN.is_working(D(2026, 9, 20)) and CN.is_working(D(2026, 10, 10))
    assert CN.workday(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert CN.workday(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert CN.workday(D(2026, 9, 30), 4) == D(2026, 10, 12)
    assert CN.workday(D(2026, 10, 1), 1) == D(2026, 10, 8)   # starting inside the holiday
    assert CN.networkdays(D(2026, 9, 28), D(2026, 10, 11)) == 6  # 28-30 Sep, 8-10 Oct
    assert CN.next_working_day(D(2026, 10, 3)) == D(2026, 10, 8)
    assert CN.next_working_day(D(2026, 10, 10)) == D(2026, 10, 10)


def test_negative_n_counts_backwards_over_the_holiday():
    assert CN.workday(D(2026, 10, 8), -1) == D(2026, 9, 30)
    assert CN.workday(D(2026, 10, 12), -2) == D(2026, 10, 9)
    assert CN.workday(D(2026, 2, 24), -1) == D(2026, 2, 14)
    assert CN.workday(D(2026, 2, 24), -2) == D(2026, 2, 13)
    assert CN.workday(D(2026, 10, 4), -1) == D(2026, 9, 30)  # start on a holiday Sunday
    assert MF.workday(D(2026, 3, 16), -10) == D(2026, 3, 2)
    assert MF.workday(D(2026, 3, 14), -1) == D(2026, 3, 13)  # Saturday back to Friday


@BOTH
def test_n_zero_returns_start_unchanged_even_on_a_holiday(cal):
    assert cal.workday(D(2026, 10, 1), 0) == D(2026, 10, 1)
    assert cal.workday(D(2026, 2, 15), 0) == D(2026, 2, 15)
    assert cal.workday_many(pd.Series(pd.to_datetime(["2026-10-01"])), 0).tolist() == [
        pd.Timestamp("2026-10-01")]


def test_start_counts_never_even_when_working_and_fractional_n_truncates_like_excel():
    assert CN.workday(D(2026, 3, 2), 1) == D(2026, 3, 3)
    assert CN.workday(D(2026, 3, 2), 1.9) == D(2026, 3, 3)
    assert CN.workday(D(2026, 3, 2), -1.9) == D(2026, 2, 28)  # make-up Saturday
    assert MF.workday(D(2026, 3, 2), -1.9) == D(2026, 2, 27)
    assert CN.workday(pd.Timestamp("2026-03-02 17:45"), 1) == D(2026, 3, 3)
    assert CN.workday(np.datetime64("2026-03-02"), 1) == D(2026, 3, 3)
    assert CN.workday("2026-03-02", 1) == D(2026, 3, 3)


def test_scalar_errors_name_the_problem():
    with pytest.raises(InputError) as err:
        CN.workday(D(2199, 12, 30), 5)
    assert str(err.value) == "5 working days from 2199-12-30 is outside the calendar range 1900-01-01..2199-12-31"
    with pytest.raises(InputError) as err:
        CN.is_working(D(1850, 1, 1))
    assert str(err.value) == "date 1850-01-01 is outside the calendar range 1900-01-01..2199-12-31"
    with pytest.raises(InputError) as err:
        CN.workday(pd.NaT, 1)
    assert str(err.value) == "start date is empty: a date is needed"


# ---------------------------------------------------------------- NETWORKDAYS

def test_networkdays_is_inclusive_and_negative_backwards():
    assert CN.networkdays(D(2026, 3, 2), D(2026, 3, 2)) == 1
    assert CN.networkdays(D(2026, 3, 7), D(2026, 3, 8)) == 0
    assert CN.networkdays(D(2026, 3, 2), D(2026, 3, 16)) == 11
    assert CN.networkdays(D(2026, 3, 16), D(2026, 3, 2)) == -11
    assert MF.networkdays(D(2026, 1, 1), D(2026, 12, 31)) == 261


# ---------------------------------------------------------------- vectorised == scalar

dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31))
steps = st.integers(min_value=-400, max_value=400)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(dates, steps, dates), min_size=1, max_size=60))
def test_vectorised_results_equal_the_scalar_ones(rows):
    starts = pd.Series(pd.to_datetime([r[0] for r in rows]), index=range(100, 100 + len(rows)))
    ns = pd.Series([r[1] for r in rows], index=starts.index)
    ends = pd.Series(pd.to_datetime([r[2] for r in rows]), index=starts.index)
    for cal in (CN, MF):
        moved = cal.workday_many(starts, ns)
        assert moved.dtype == "datetime64[ns]" and moved.index.equals(starts.index)
        assert [d.date() for d in moved] == [cal.workday(s, n) for s, n, _ in rows]
        same_n = cal.workday_many(starts, rows[0][1])
        assert [d.date() for d in same_n] == [cal.workday(s, rows[0][1]) for s, _, _ in rows]
        assert cal.networkdays_many(starts, ends).tolist() == [cal.networkdays(s, e) for s, _, e in rows]
        assert cal.is_working_many(starts).tolist() == [cal.is_working(s) for s, _, _ in rows]
        assert [d.date() for d in cal.next_working_day_many(starts)] == [
            cal.next_working_day(s) for s, _, _ in rows]


@settings(max_examples=40, deadline=None)
@given(dates, st.integers(min_value=-60, max_value=60))
def test_workday_equals_walking_day_by_day(start, n):
    for cal in (CN, MF):
        assert cal.workday(start, n) == naive_workday(cal, start, n)


def test_mon_fri_agrees_with_numpy_busday():
    starts = pd.Series(pd.date_range("2020-01-01", "2030-12-31", freq="3D"))
    days = starts.to_numpy().astype("datetime64[D]")
    for n in (1, 5, 23, -1, -17):
        # numpy rolls a weekend start first; Excel counts from the day itself: same for n != 0
        # once the start is rolled the right way.
        rolled = np.busday_offset(days, 0, roll="backward" if n > 0 else "forward")
        expected = np.busday_offset(rolled, n)
        assert (MF.workday_many(starts, n).to_numpy().astype("datetime64[D]") == expected).all()


@settings(max_examples=60, deadline=None)
@given(dates, st.integers(min_value=-300, max_value=300))
def test_networkdays_inverts_workday(start, n):
    for cal in (CN, MF):
        end = cal.workday(start, n)
        own = 1 if cal.is_working(start) else 0
        if n > 0:
            assert cal.networkdays(start, end) == n + own
        elif n < 0:
            assert cal.networkdays(start, end) == n - own
        if cal.is_working(start) and n >= 0:
            assert cal.workday(start, cal.networkdays(start, end) - 1) == end


def test_nat_and_missing_n_give_nat_out():
    starts = pd.Series(pd.to_datetime(["2026-03-02", None, "2026-09-30", "2026-02-12"]))
    ns = pd.Series([10.0, 3.0, np.nan, 3.0])
    moved = CN.workday_many(starts, ns)
    assert moved.isna().tolist() == [False, True, True, False]
    assert moved[0] == pd.Timestamp("2026-03-16") and moved[3] == pd.Timestamp("2026-02-24")
    counted = CN.networkdays_many(starts, pd.Series(pd.to_datetime(["2026-03-16"] * 4)))
    assert str(counted.dtype) == "Int64" and counted.isna().tolist() == [False, True, False, False]
    assert CN.is_working_many(starts).tolist() == [True, False, True, True]


def test_vectorised_accepts_other_units_and_time_zones():
    starts = pd.Series(pd.to_datetime(["2026-03-02 23:30", "2026-02-12 08:00"])).astype("datetime64[s]")
    assert CN.workday_many(starts, 10).tolist() == [pd.Timestamp("2026-03-16"), pd.Timestamp("2026-03-04")]
    local = pd.Series(pd.to_datetime(["2026-03-02 23:30"]).tz_localize("Asia/Shanghai"))
    assert CN.workday_many(local, 1).tolist() == [pd.Timestamp("2026-03-03")]


def test_vectorised_out_of_range_is_nat_not_an_error():
    starts = pd.Series(pd.to_datetime(["2199-12-30", "1850-01-01", "2026-03-02"]))
    assert CN.workday_many(starts, 5).isna().tolist() == [True, True, False]


# ---------------------------------------------------------------- immutability and constructors

def test_calendar_is_immutable_and_cached():
    assert WorkingCalendar.cn() is CN
    with pytest.raises(AttributeError):
        CN.name = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        CN.days[0] = np.datetime64("2026-01-01")
    assert CN.name == "cn" and MF.name == "mon-fri"


def test_from_frame_overrides_on_top_of_the_base():
    overrides = pd.DataFrame({
        "date": pd.to_datetime(["2026-10-08", "2026-03-06", "2027-05-03"]),
        "working": [False, False, True],
        "name": ["厂休", "盘点", None],
    })
    cal = WorkingCalendar.from_frame(overrides, base="cn", name="factory")
    assert cal.name == "factory"
    assert not cal.is_working(D(2026, 10, 8)) and not cal.is_working(D(2026, 3, 6))
    assert cal.workday(D(2026, 9, 30), 1) == D(2026, 10, 9)
    assert not cal.covers(D(2027, 1, 1))  # one 2027 row is not 2027's holidays
    assert CN.is_working(D(2026, 10, 8))  # the base is untouched
    on_mf = WorkingCalendar.from_frame(overrides, base="mon-fri")
    assert on_mf.is_working(D(2026, 10, 1)) and not on_mf.is_working(D(2026, 10, 8))


def test_a_year_counts_as_covered_once_its_days_off_are_listed():
    """A stocktake day in 2027 must not silence the 2027 warning: the year counts as covered
    from MIN_DAYS_OFF days off on weekdays (weekend rows, make-up days and repeats do not count)."""
    from addin.compute.calendar import MIN_DAYS_OFF
    assert MIN_DAYS_OFF == 5

    def cal(rows):
        return WorkingCalendar.from_frame(pd.DataFrame({"date": pd.to_datetime([d for d, _ in rows]),
                                                        "working": [w for _, w in rows]}), base="cn")

    stocktake = [("2027-03-05", False)]
    four = [("2027-02-08", False), ("2027-02-09", False), ("2027-02-10", False), ("2027-02-11", False)]
    weekend_and_make_up = [("2027-02-06", False), ("2027-02-07", False), ("2027-02-20", True), ("2027-02-11", False)]
    assert not cal(stocktake).covers(D(2027, 6, 1))
    assert not cal(four).covers(D(2027, 6, 1))
    assert not cal(four + weekend_and_make_up).covers(D(2027, 6, 1))
    assert cal(four + stocktake).covers(D(2027, 6, 1))
    assert not cal(four + stocktake).covers(D(2028, 1, 3))   # only the year listed
    assert cal(four + stocktake).covers(D(2026, 6, 1))       # the base's years stay covered


def test_from_frame_conflicting_rows_are_an_error():
    overrides = pd.DataFrame({"date": pd.to_datetime(["2026-10-08", "2026-10-08"]),
                              "working": [False, True], "source_row": [4, 9]})
    with pytest.raises(InputError) as err:
        WorkingCalendar.from_frame(overrides)
    assert str(err.value) == "calendar rows 4 and 9 disagree on 2026-10-08: one says working, the other not"


# ---------------------------------------------------------------- load_calendar

def write_calendar(path: Path, rows: list[tuple], title_rows: int = 0) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Calendar"
    for i in range(title_rows):
        sheet.append(["2026 工厂日历" if i == 0 else None])
    sheet.append(["日期", "是否上班", "名称"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def test_load_calendar_builtins_and_default():
    assert load_calendar(None) is CN
    assert load_calendar("cn") is CN
    assert load_calendar("mon-fri") is MF
    assert load_calendar(" MON-FRI ") is MF


def test_load_calendar_unknown_spec_message():
    with pytest.raises(ConfigError) as err:
        load_calendar("xyz")
    assert str(err.value) == "calendar 'xyz' is not known: use cn, mon-fri or the path of a calendar workbook"


def test_load_calendar_missing_workbook(tmp_path):
    with pytest.raises(FileError) as err:
        load_calendar("factory.xlsx", base_dir=tmp_path)
    assert str(err.value) == f"calendar workbook {tmp_path / 'factory.xlsx'} does not exist"


def test_calendar_workbook_overrides_cn(tmp_path):
    write_calendar(tmp_path / "factory.xlsx", [
        (dt.datetime(2026, 10, 8), "休息", "国庆延休"),
        (dt.datetime(2026, 10, 3), "上班", "赶货"),
        ("2026-03-07", "Y", None),           # a Saturday worked, date as text
        (dt.datetime(2026, 3, 9), 0, "停电"),
        (dt.datetime(2026, 3, 10), "holiday", None),
        (dt.datetime(2026, 3, 14), "调休", "补班"),
        (None, None, None),                  # blank row skipped
        (dt.datetime(2026, 3, 21), "１", None),  # full-width digit
    ], title_rows=2)
    cal = load_calendar("factory.xlsx", base_dir=tmp_path)
    assert cal.name == "cn+factory.xlsx"
    assert not cal.is_working(D(2026, 10, 8))
    assert cal.is_working(D(2026, 10, 3))
    assert cal.is_working(D(2026, 3, 7)) and cal.is_working(D(2026, 3, 14))
    assert cal.is_working(D(2026, 3, 21))
    assert not cal.is_working(D(2026, 3, 9)) and not cal.is_working(D(2026, 3, 10))
    # Friday 6 Mar + 1 → Saturday 7 Mar (worked); + 2 → Wed 11 Mar (9, 10 off)
    assert cal.workday(D(2026, 3, 6), 1) == D(2026, 3, 7)
    assert cal.workday(D(2026, 3, 6), 2) == D(2026, 3, 11)
    # the base holidays still apply
    assert not cal.is_working(D(2026, 10, 2))
    assert load_calendar(tmp_path / "factory.xlsx", base="mon-fri").is_working(D(2026, 10, 2))


def test_calendar_workbook_with_english_headers_and_csv(tmp_path):
    path = tmp_path / "cal.csv"
    path.write_text("Date,Working,Name\n2026-10-08,no,extra day\n2026/10/10,yes,\n", encoding="utf-8-sig")
    cal = load_calendar(str(path))
    assert not cal.is_working(D(2026, 10, 8)) and cal.is_working(D(2026, 10, 10))


def test_calendar_workbook_bad_value_names_the_cell(tmp_path):
    write_calendar(tmp_path / "factory.xlsx", [
        (dt.datetime(2026, 10, 8), "休息", None),
        (dt.datetime(2026, 10, 9), "半天", None),
    ], title_rows=4)
    with pytest.raises(InputError) as err:
        load_calendar(tmp_path / "factory.xlsx")
    assert str(err.value) == ("factory.xlsx, Calendar!B7: working day value '半天' is not understood "
                              "— write 上班 or 休息 (also 1/0, Y/N, working/holiday)")
    assert err.value.cell == "Calendar!B7" and err.value.value == "半天"


def test_calendar_workbook_bad_date_names_the_cell(tmp_path):
    write_calendar(tmp_path / "factory.xlsx", [("31/02/2026", "休息", None)])
    with pytest.raises(InputError) as err:
        load_calendar(tmp_path / "factory.xlsx")
    assert str(err.value) == "factory.xlsx, Calendar!A2: date '31/02/2026': not a date"


def test_range_constants():
    assert (RANGE_START, RANGE_END) == (D(1900, 1, 1), D(2199, 12, 31))


def test_bad_value_cell_follows_the_working_column_wherever_it_is(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "工厂日历"
    sheet.append(["Name", "Note", "Date", "Working"])
    sheet.append(["盘点", None, dt.datetime(2026, 3, 6), 0])
    sheet.append(["加班", None, dt.datetime(2026, 3, 7), True])
    sheet.append([None, None, dt.datetime(2026, 3, 8), "maybe"])
    book.save(tmp_path / "cal.xlsx")
    with pytest.raises(InputError) as err:
        load_calendar(str(tmp_path / "cal.xlsx"))
    assert str(err.value) == ("cal.xlsx, 工厂日历!D4: working day value 'maybe' is not understood "
                              "— write 上班 or 休息 (also 1/0, Y/N, working/holiday)")
    sheet["D4"] = "N"
    book.save(tmp_path / "cal.xlsx")
    cal = load_calendar(str(tmp_path / "cal.xlsx"), base="mon-fri")
    assert cal.name == "mon-fri+cal.xlsx"
    assert cal.working_days(D(2026, 3, 5), D(2026, 3, 9)).astype(str).tolist() == [
        "2026-03-05", "2026-03-07", "2026-03-09"]


@pytest.mark.parametrize("value, expected", [
    ("上班", True), ("休息", False), (1, True), (0, False), (1.0, True), ("0", False), ("Y", True),
    ("n", False), ("Yes", True), ("NO", False), ("working", True), ("Holiday", False),
    ("工作日", True), ("节假日", False), ("调休", True), ("补班", True), (True, True), (False, False),
    ("２", None), (2, None), ("半天", None), (None, None), ("", None),
])
def test_parse_working_values(value, expected):
    from addin.readers.calendar import parse_working
    assert parse_working(value) is expected


def test_calendar_workbook_conflicting_rows_name_the_file(tmp_path):
    write_calendar(tmp_path / "factory.xlsx", [
        (dt.datetime(2026, 10, 8), "休息", None),
        (dt.datetime(2026, 10, 9), "休息", None),
        (dt.datetime(2026, 10, 8), "上班", None),
    ])
    with pytest.raises(InputError) as err:
        load_calendar(tmp_path / "factory.xlsx")
    assert str(err.value) == ("factory.xlsx, calendar rows 2 and 4 disagree on 2026-10-08: "
                              "one says working, the other not")


def test_empty_text_date_is_an_input_error():
    with pytest.raises(InputError) as err:
        CN.next_working_day("")
    assert str(err.value) == "date is empty: a date is needed"


def test_workday_many_n_by_index_or_by_position():
    starts = pd.Series(pd.to_datetime(["2026-03-02", "2026-02-12"]), index=[5, 6])
    expected = [pd.Timestamp("2026-03-16"), pd.Timestamp("2026-02-26")]
    assert CN.workday_many(starts, pd.Series([10, 5], index=[5, 6])).tolist() == expected
    assert CN.workday_many(starts, np.array([10.0, 5.0])).tolist() == expected
    with pytest.raises(ValueError, match="must share the same index"):
        CN.workday_many(starts, pd.Series([10, 5]))
