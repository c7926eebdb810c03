"""Large workbooks skip the guard's cell-by-cell scan and are parsed by fastexcel in a forked child
(memory cap, time limit, Arrow IPC file back): the same results as the scanned in-process path,
and every hostile file still refused with the same message (issue 7 speed, issue 8 safety).

The size threshold is lowered to 0 here so that the small generated files take the large-file
path; the bench ledgers take it for real (their sheet XML is 86 MB and 885 MB)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from addin.files import guard as safeio
from addin.errors import FileError
from addin.readers import grid, read
from tests import hostile
from tests.test_read_fast import _ledger, _same

pytest.importorskip("fastexcel")
pytest.importorskip("pyarrow")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the isolated path needs fork")

SAMPLES = Path(__file__).resolve().parent.parent / "workbook_templates"


@pytest.fixture
def isolate_all(monkeypatch, tmp_path):
    """Every part counts as large: inspect_input(deep=False) scans none of them. The child's
    Arrow files go to a private temp folder (other processes use /tmp too)."""
    import tempfile
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(safeio, "DEFAULT_LIMITS", safeio.Limits(deep_scan_max=0))
    grid._INSPECTED.clear()
    calls = []
    real = grid._load_isolated

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)
    monkeypatch.setattr(grid, "_load_isolated", counting)
    yield calls
    grid._INSPECTED.clear()


def _scanned(path: Path, **kw):
    grid._INSPECTED.clear()
    saved = safeio.DEFAULT_LIMITS
    try:
        safeio.DEFAULT_LIMITS = safeio.Limits()
        return read(path, **kw)
    finally:
        safeio.DEFAULT_LIMITS = saved
        grid._INSPECTED.clear()


def test_inspect_without_deep_scan_marks_large_sheets_unverified(tmp_path):
    path = _ledger(tmp_path / "l.xlsx")
    deep = safeio.inspect_input(path)
    quick = safeio.inspect_input(path, limits=safeio.Limits(deep_scan_max=0), deep=False)
    assert all(s.verified for s in deep.sheets) and not any(s.verified for s in quick.sheets)
    assert [s.name for s in quick.sheets] == [s.name for s in deep.sheets]
    # the extent comes from <dimension>, which XlsxWriter writes exactly
    assert [(s.max_row, s.max_col) for s in quick.sheets] == [(s.max_row, s.max_col) for s in deep.sheets]
    # small parts are scanned either way
    small = safeio.inspect_input(path, deep=False)
    assert all(s.verified for s in small.sheets)


@pytest.mark.parametrize("offset", [(0, 0), (3, 2)])
def test_isolated_read_equals_scanned_read(isolate_all, tmp_path, offset):
    path = _ledger(tmp_path / "l.xlsx", row0=offset[0], col0=offset[1])
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    fast = read(path)
    assert isolate_all == [path]
    _same(fast, _scanned(path))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not list((tmp_path / "scratch").iterdir()), "IPC file left behind"


@pytest.mark.parametrize("name", ["sample_ledger_en.xlsx", "sample_ledger_zh.xlsx", "sample_bom.xlsx", "sample_quotes.xlsx"])
def test_isolated_read_of_the_samples(isolate_all, name):
    path = SAMPLES / name
    if not path.exists():
        pytest.fail(f"{name} missing from workbook_templates")
    _same(read(path), _scanned(path))
    assert isolate_all


@pytest.mark.parametrize("make", hostile.REFUSED, ids=lambda m: m.__name__)
def test_hostile_files_refused_with_the_same_message(isolate_all, make, tmp_path):
    path = make(tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(FileError) as scanned:
        _scanned(path)
    with pytest.raises(FileError) as isolated:
        read(path)
    assert str(isolated.value) == str(scanned.value)
    assert hostile.XXE_SECRET not in str(isolated.value)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_sparse_bomb_is_caught_by_the_child_not_the_process(isolate_all, tmp_path):
    """The sparse bomb's <dimension> says A1, so the quick check passes it; python-calamine
    then aborts — in the child. The parent scans the file and says where the stray cell is."""
    path = hostile.make_sparse_bomb(tmp_path)
    with pytest.raises(FileError) as err:
        read(path)
    assert isolate_all == [path]
    assert "XFD1048576" in str(err.value) and str(err.value).startswith("sparse-bomb.xlsx: ")
    assert not list((tmp_path / "scratch").iterdir()), "IPC file left behind after a crash"


def test_child_failure_without_a_scan_finding_names_the_file(isolate_all, tmp_path, monkeypatch):
    """A reader crash the scan cannot explain still gives one clear message."""
    path = _ledger(tmp_path / "crash.xlsx")

    def crash(*args, **kwargs):
        os.abort()
    monkeypatch.setattr(grid, "_fastexcel_to_ipc", crash)
    with pytest.raises(FileError) as err:
        read(path)
    assert str(err.value).startswith("crash.xlsx: could not be read safely — the reader crashed (SIGABRT)")


@pytest.mark.parametrize("make", hostile.READABLE, ids=lambda m: m.__name__)
def test_awkward_readable_files_same_either_way(isolate_all, make, tmp_path):
    path = make(tmp_path)
    outcomes = []
    for reader in (_scanned, read):
        try:
            outcomes.append(("ok", reader(path)))
        except FileError as exc:
            outcomes.append(("error", str(exc)))
        except Exception as exc:  # noqa: BLE001 - InputError for a file that is not a ledger
            outcomes.append((type(exc).__name__, str(exc)))
    (k1, a), (k2, b) = outcomes
    assert k1 == k2
    if k1 == "ok":
        _same(a, b)
    else:
        assert a == b


def test_full_temp_folder_is_a_clear_message(isolate_all, tmp_path, monkeypatch):
    """The child's Arrow file cannot be written (disk full): one message naming the folder."""
    import pyarrow as pa
    path = _ledger(tmp_path / "full.xlsx")

    class Full(pa.OSFile):
        def __init__(self, *args, **kwargs):
            raise OSError(28, "No space left on device")
    monkeypatch.setattr(pa, "OSFile", Full)
    with pytest.raises(FileError) as err:
        read(path)
    message = str(err.value)
    assert message.startswith("full.xlsx: could not be read — the temporary folder ")
    assert message.endswith("(No space left on device); free some space there or point TMPDIR at a folder with room")
    assert not list((tmp_path / "scratch").iterdir())


def test_unwritable_temp_folder_is_a_clear_message(isolate_all, tmp_path, monkeypatch):
    import tempfile
    path = _ledger(tmp_path / "tmpless.xlsx")
    missing = tmp_path / "no-such-folder"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    with pytest.raises(FileError) as err:
        read(path)
    assert str(err.value) == (f"tmpless.xlsx: could not be read — no file can be made in the temporary folder"
                              f" {missing} (No such file or directory); point TMPDIR at a folder you can write to")
