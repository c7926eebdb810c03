"""Shared test fixtures. Tests that need LibreOffice or the real data in ../shared/data/real
skip where those are absent; CI sets ORDERDESK_REQUIRE_ALL=1, which turns every skip into a
failure so the whole suite always runs there."""
from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "data" / "real"
REQUIRE_ALL = os.environ.get("ORDERDESK_REQUIRE_ALL") == "1"


@pytest.fixture
def real_data() -> Path:
    if not REAL.is_dir():
        pytest.skip(f"real data folder {REAL} is absent")
    return REAL


@pytest.fixture
def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and call.when in ("setup", "call"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped, but ORDERDESK_REQUIRE_ALL=1 requires it to run: {reason}"


@pytest.fixture(autouse=True)
def _collect_garbage_after_each_test():
    """Collect garbage after every test, so an object left unclosed (a zip archive whose file the
    collector would finalise first) is reported in the test that left it, not in whichever
    test the collector happens to run in later."""
    yield
    gc.collect()


@pytest.fixture(autouse=True, scope="session")
def _cache_folder_of_the_session(tmp_path_factory):
    """The parsed-input cache of the whole run (and of the commands it starts) in a folder of its
    own, never the user's cache folder."""
    before = os.environ.get("ORDERDESK_CACHE_DIR")
    os.environ["ORDERDESK_CACHE_DIR"] = str(tmp_path_factory.mktemp("orderdesk-cache"))
    yield
    if before is None:
        os.environ.pop("ORDERDESK_CACHE_DIR", None)
    else:
        os.environ["ORDERDESK_CACHE_DIR"] = before
