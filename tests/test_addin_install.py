"""`orderdesk addin install | remove | status | templates` against a temporary home, with the
Windows and macOS layouts simulated (paths, code page, xlwings' DLL location): what is written,
in which encoding, what is never touched, and that a failure or a removal leaves the home exactly
as it was (every file's bytes and every folder compared)."""
from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from addin.cli import main
from addin.errors import FileError
from addin.xlam import bundle as bundle_mod
from addin.xlam import install as inst

PY_ZH = "C:\\Users\\张三\\AppData\\Local\\Programs\\Python\\Python311\\python.exe"
PY_MAC = "/Users/张三/venvs/orderdesk/bin/python3"
USER_XLWINGS_CONF = '"INTERPRETER_WIN","C:\\Users\\张三\\anaconda3\\pythonw.exe"\r\n"CONDA ENV","base"\r\n'.encode("cp936")


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under root."""
    out = {}
    for path in sorted(root.rglob("*")):
        out[path.relative_to(root).as_posix()] = path.read_bytes() if path.is_file() else None
    return out


@pytest.fixture
def home(tmp_path) -> Path:
    """A user's home that already has their own xlwings config and another add-in in XLSTART."""
    home = tmp_path / "home"
    (home / ".xlwings").mkdir(parents=True)
    (home / ".xlwings" / "xlwings.conf").write_bytes(USER_XLWINGS_CONF)
    xlstart = home / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    xlstart.mkdir(parents=True)
    (xlstart / "PERSONAL.XLSB").write_bytes(b"the user's personal macro workbook")
    return home


@pytest.fixture
def windows(home) -> inst.Layout:
    return inst.Layout.for_platform("windows", home, home / "AppData" / "Roaming")


@pytest.fixture
def macos(home) -> inst.Layout:
    return inst.Layout.for_platform("macos", home)


def packaged_addin() -> bytes:
    return bundle_mod.locate().path(bundle_mod.ADDIN_FILE).read_bytes()


# ---------------------------------------------------------------- layouts

def test_layout_paths_match_what_excel_and_xlwings_read(tmp_path):
    win = inst.Layout.for_platform("windows", Path("C:/Users/z"), Path("C:/Users/z/AppData/Roaming"))
    assert win.addin_dir == Path("C:/Users/z/AppData/Roaming/Microsoft/Excel/XLSTART")
    # xlwings_custom_addin.bas GetConfigFilePath: Environ("USERPROFILE") & "\." & PROJECT_NAME & "\" & PROJECT_NAME & ".conf"
    assert win.config_file == Path("C:/Users/z/.OrderDesk/OrderDesk.conf")
    mac = inst.Layout.for_platform("macos", Path("/Users/z"))
    assert mac.addin_dir == Path("/Users/z/Library/Group Containers/UBF8T346G9.Office/User Content.localized/"
                                 "Startup.localized/Excel")
    # GetMacDir("$HOME") in sandboxed Excel is the container's Data folder; then "/" & PROJECT_NAME & ".conf"
    assert mac.config_file == Path("/Users/z/Library/Containers/com.microsoft.Excel/Data/OrderDesk.conf")
    # xlwings/cli.py runpython_install: ~/Library/Application Scripts/com.microsoft.Excel
    assert mac.script_dir == Path("/Users/z/Library/Application Scripts/com.microsoft.Excel")
    for layout in (win, mac):
        assert layout.xlwings_conf.parent.name == ".xlwings"
        assert layout.config_file != layout.xlwings_conf


def test_the_addin_vba_uses_its_own_project_name_and_config_sheet():
    """xlwings' custom add-in: PROJECT_NAME names the config sheet and file (docs/customaddin.md)."""
    facts = inst.read_addin(bundle_mod.locate().path(bundle_mod.ADDIN_FILE))
    assert facts.project_name_const == "OrderDesk" and "OrderDesk.conf" in facts.sheets
    assert "xlwings.conf" not in facts.sheets
    import xlwings
    assert facts.xlwings == xlwings.__version__


# ---------------------------------------------------------------- install on Windows (simulated)

@pytest.mark.parametrize("encoding", ["cp936", "utf-8"])
def test_windows_install_writes_the_addin_and_its_own_config_in_the_code_page(home, windows, encoding):
    xlstart_before = snapshot(windows.addin_dir)
    outcome = inst.install(windows, "en", interpreter=PY_ZH, encoding=encoding)
    assert (windows.addin_dir / "OrderDesk.xlam").read_bytes() == packaged_addin()
    raw = windows.config_file.read_bytes()
    expected = f'"INTERPRETER_WIN","{PY_ZH}"\r\n"UDF Modules","addin.excel.udfs"\r\n'
    assert raw == expected.encode(encoding)
    # read back as VBA's Input # reads it: in the same code page, key and value per line
    assert inst.parse_config(raw.decode(encoding)) == {"INTERPRETER_WIN": PY_ZH, "UDF MODULES": "addin.excel.udfs"}
    if encoding == "cp936":
        assert "张三".encode("cp936") in raw and "张三".encode("utf-8") not in raw
    assert outcome.encoding == encoding and outcome.backups == []
    # the user's own xlwings config and their other add-in: byte for byte as before
    assert (home / ".xlwings" / "xlwings.conf").read_bytes() == USER_XLWINGS_CONF
    after = snapshot(windows.addin_dir)
    assert {k: v for k, v in after.items() if k != "OrderDesk.xlam"} == xlstart_before
    record = json.loads((windows.state_dir / "install.json").read_text(encoding="utf-8"))
    assert [(Path(f["target"]).name, f["kind"], f["backup"]) for f in record["files"]] == [
        ("OrderDesk.xlam", "addin", None), ("OrderDesk.conf", "config", None)]
    assert not list(home.rglob("*.orderdesk-new"))


def test_reinstall_keeps_the_users_own_keys_and_the_first_backup(home, windows):
    older = b"PK an OrderDesk.xlam the user copied by hand"
    (windows.addin_dir / "OrderDesk.xlam").write_bytes(older)
    first = inst.install(windows, "en", interpreter=PY_ZH, encoding="cp936")
    [(target, backup)] = first.backups
    assert target == windows.addin_dir / "OrderDesk.xlam" and backup.read_bytes() == older
    # the user adds a key of their own to the add-in's config; a second install keeps it
    with open(windows.config_file, "ab") as fh:
        fh.write('"CONDA PATH","C:\\Users\\张三\\miniconda3"\r\n'.encode("cp936"))
    second = inst.install(windows, "en", interpreter=PY_ZH, encoding="cp936")
    assert second.unchanged == [windows.addin_dir / "OrderDesk.xlam"]
    text = windows.config_file.read_bytes().decode("cp936")
    assert text == (f'"CONDA PATH","C:\\Users\\张三\\miniconda3"\r\n"INTERPRETER_WIN","{PY_ZH}"\r\n'
                    '"UDF Modules","addin.excel.udfs"\r\n')
    record = json.loads((windows.state_dir / "install.json").read_text(encoding="utf-8"))
    assert record["files"][0]["backup"] == str(backup)  # still the user's original, not our own first copy
    assert (home / ".xlwings" / "xlwings.conf").read_bytes() == USER_XLWINGS_CONF


@pytest.mark.parametrize("encoding, path, chars", [
    ("cp1252", PY_ZH, "张 三"),                                   # a Chinese user name on a Western Windows
    ("cp936", "C:\\Users\\김민준\\Python311\\python.exe", "김 민 준"),  # Hangul on Simplified Chinese Windows
])
def test_a_path_the_code_page_cannot_hold_is_refused_before_anything_is_copied(home, windows, encoding, path, chars):
    before = snapshot(home)
    with pytest.raises(FileError) as err:
        inst.install(windows, "en", interpreter=path, encoding=encoding)
    assert str(err.value) == (
        f"The Python path {path} has characters ({chars}) that the Windows code page {encoding} cannot hold, so "
        "Excel could not start Python. Nothing was installed. Install OrderDesk into a virtual environment whose "
        "path has none of them (for example py -m venv C:\\OrderDesk\\venv, then "
        "C:\\OrderDesk\\venv\\Scripts\\pip install orderdesk) and run its orderdesk addin install")
    assert snapshot(home) == before


def test_the_refusal_speaks_chinese(home, windows):
    with pytest.raises(FileError) as err:
        inst.install(windows, "zh", interpreter=PY_ZH, encoding="cp1252")
    assert str(err.value).startswith(f"Python 路径 {PY_ZH} 含有 Windows 代码页 cp1252 无法表示的字符（张 三）")


def test_a_double_quote_in_the_path_is_refused(home, macos):
    before = snapshot(home)
    with pytest.raises(FileError, match="contains a double quote"):
        inst.install(macos, "en", interpreter='/Users/a"b/python3', encoding="utf-8")
    assert snapshot(home) == before


def test_failure_midway_puts_everything_back(home, windows, monkeypatch):
    """The add-in is already moved into place when writing the config fails: the old add-in comes
    back, the staged files, the backups, the record and the folders created are gone."""
    (windows.addin_dir / "OrderDesk.xlam").write_bytes(b"the user's older add-in")
    before = snapshot(home)
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst) == windows.config_file:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(inst.os, "replace", failing_replace)
    with pytest.raises(FileError) as err:
        inst.install(windows, "en", interpreter=PY_ZH, encoding="cp936")
    assert str(err.value) == (f"Installing failed while writing {windows.config_file} (No space left on device); "
                              "everything was put back as it was.")
    assert snapshot(home) == before


def test_addin_held_by_excel_is_reported_and_nothing_changes(home, windows, monkeypatch):
    before = snapshot(home)
    real_replace = os.replace

    def held(src, dst):
        if Path(dst).name == "OrderDesk.xlam":
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(inst.os, "replace", held)
    with pytest.raises(FileError) as err:
        inst.install(windows, "en", interpreter=PY_ZH, encoding="cp936")
    assert str(err.value) == (f"{windows.addin_dir / 'OrderDesk.xlam'} is in use (is Excel running?) — quit Excel "
                              "and run again. Nothing was changed.")
    assert snapshot(home) == before


def test_remove_restores_the_home_exactly(home, windows):
    (windows.addin_dir / "OrderDesk.xlam").write_bytes(b"the user's older add-in")
    before = snapshot(home)
    inst.install(windows, "en", interpreter=PY_ZH, encoding="cp936")
    inst.install(windows, "en", interpreter=PY_ZH, encoding="cp936")
    done = inst.remove(windows, "en")
    assert [p.name for p in done.removed] == ["OrderDesk.xlam", "OrderDesk.conf"]
    assert [p.name for p, _ in done.restored] == ["OrderDesk.xlam"]
    assert snapshot(home) == before
    with pytest.raises(FileError, match="No OrderDesk add-in install is recorded"):
        inst.remove(windows, "en")


def test_remove_moves_aside_a_config_the_user_changed(home, windows):
    inst.install(windows, "en", interpreter=PY_ZH, encoding="cp936")
    with open(windows.config_file, "ab") as fh:
        fh.write(b'"SHOW CONSOLE","True"\r\n')
    done = inst.remove(windows, "en")
    [(target, moved)] = done.kept
    assert target == windows.config_file and not target.exists()
    assert moved.read_bytes().endswith(b'"SHOW CONSOLE","True"\r\n')
    assert not (windows.addin_dir / "OrderDesk.xlam").exists()


# ---------------------------------------------------------------- macOS (simulated)

def test_macos_install_adds_xlwings_applescript_and_remove_takes_it_away(home, macos):
    import xlwings
    before = snapshot(home)
    inst.install(macos, "en", interpreter=PY_MAC, encoding="utf-8")
    script = home / "Library" / "Application Scripts" / "com.microsoft.Excel" / f"xlwings-{xlwings.__version__}.applescript"
    assert script.read_bytes() == (Path(xlwings.__file__).parent / script.name).read_bytes()
    raw = macos.config_file.read_bytes()
    assert raw == f'"INTERPRETER_MAC","{PY_MAC}"\n"UDF Modules","addin.excel.udfs"\n'.encode("utf-8")
    assert inst.parse_config(raw.decode("utf-8"))["INTERPRETER_MAC"] == PY_MAC
    assert (macos.addin_dir / "OrderDesk.xlam").read_bytes() == packaged_addin()
    assert (home / ".xlwings" / "xlwings.conf").read_bytes() == USER_XLWINGS_CONF
    inst.remove(macos, "en")
    assert snapshot(home) == before


def test_macos_applescript_already_there_is_left_on_remove(home, macos):
    """The user's own xlwings add-in uses the same AppleScript: remove leaves one that was there."""
    import xlwings
    script = macos.script_dir / f"xlwings-{xlwings.__version__}.applescript"
    script.parent.mkdir(parents=True)
    script.write_bytes((Path(xlwings.__file__).parent / script.name).read_bytes())
    inst.install(macos, "en", interpreter=PY_MAC, encoding="utf-8")
    done = inst.remove(macos, "en")
    assert done.left == [script] and script.is_file()


# ---------------------------------------------------------------- what install checks

def test_a_corrupted_package_file_is_refused_with_its_hashes(tmp_path, home, windows):
    bundle_dir = tmp_path / "bundled"
    manifest = bundle_mod.write_bundle(bundle_mod.CHECKOUT, bundle_dir)
    addin = bundle_dir / bundle_mod.ADDIN_FILE
    data = bytearray(addin.read_bytes())
    data[100] ^= 0xFF
    addin.write_bytes(bytes(data))
    bundle = bundle_mod.locate(bundle_dir, tmp_path / "no-checkout")
    assert bundle.origin == "package"
    before = snapshot(home)
    with pytest.raises(FileError) as err:
        inst.install(windows, "en", interpreter=PY_ZH, encoding="cp936", bundle=bundle)
    found = hashlib.sha256(bytes(data)).hexdigest()
    expected = manifest["files"][bundle_mod.ADDIN_FILE]["sha256"]
    assert str(err.value) == (f"{addin} in the OrderDesk package does not match its manifest (sha256 {found[:12]}…, "
                              f"expected {expected[:12]}…) — reinstall it (pip install --force-reinstall orderdesk)")
    assert snapshot(home) == before


def test_an_addin_that_shares_xlwings_own_config_is_refused(tmp_path, monkeypatch):
    """The add-in as it was built before: PROJECT_NAME "xlwings" read the user's xlwings.conf."""
    from addin.xlam import build
    monkeypatch.setattr(build, "PROJECT_NAME", "xlwings")
    path = tmp_path / "OrderDesk.xlam"
    path.write_bytes(build.addin_bytes())
    with pytest.raises(FileError) as err:
        inst.check_addin(path, "en")
    assert str(err.value) == (f"{path} is not a usable add-in: its xlwings project name is xlwings, not OrderDesk — "
                              "reinstall OrderDesk (pip install --force-reinstall orderdesk)")


def test_an_addin_for_another_xlwings_is_refused():
    path = bundle_mod.locate().path(bundle_mod.ADDIN_FILE)
    with pytest.raises(FileError) as err:
        inst.check_addin(path, "en", expected_xlwings="0.99.0")
    assert "was built for xlwings 0.37.8 but xlwings 0.99.0 is installed" in str(err.value)


@pytest.mark.parametrize("damage, reason", [
    (lambda data: b"not a zip at all", "it is not a readable Excel package (File is not a zip file)"),
    (lambda data: _without_part(data, "xl/vbaProject.bin"), "it holds no VBA project (xl/vbaProject.bin)"),
    (lambda data: _replace_part(data, "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 truncated"), "not an OLE compound file"),
])
def test_a_damaged_addin_is_refused(tmp_path, damage, reason):
    path = tmp_path / "OrderDesk.xlam"
    path.write_bytes(damage(packaged_addin()))
    with pytest.raises(FileError) as err:
        inst.check_addin(path, "en")
    assert str(err.value).startswith(f"{path} is not a usable add-in: {reason}")


def _rezip(data: bytes, change) -> bytes:
    import io
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = change(info.filename, src.read(info.filename))
            if body is not None:
                dst.writestr(info, body)
    return out.getvalue()


def _without_part(data: bytes, name: str) -> bytes:
    return _rezip(data, lambda n, body: None if n == name else body)


def _replace_part(data: bytes, name: str, new: bytes) -> bytes:
    return _rezip(data, lambda n, body: new if n == name else body)


def test_our_vba_reader_agrees_with_oletools(tmp_path):
    """The install's own check (olefile + MS-OVBA decompression) reads the same modules as olevba,
    on our add-in and on an add-in Excel itself saved (xlwings' quickstart add-in)."""
    import warnings
    import xlwings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from oletools.olevba import VBA_Parser
    from addin.xlam.ovba import read_vba_project
    for source in (bundle_mod.locate().path(bundle_mod.ADDIN_FILE), Path(xlwings.__file__).parent / "quickstart_addin.xlam"):
        ours = read_vba_project(zipfile.ZipFile(source).read("xl/vbaProject.bin")).modules
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            parser = VBA_Parser(str(source))
            theirs = {Path(name).stem: code for _, stream, name, code in parser.extract_macros()}
            parser.close()
        assert set(ours) == set(theirs)
        for name, code in theirs.items():
            code = code.decode("latin-1") if isinstance(code, bytes) else code
            assert ours[name].replace("\r\n", "\n").strip() == code.replace("\r\n", "\n").strip(), name


# ---------------------------------------------------------------- the xlwings DLL (Windows)

def test_dll_beside_a_virtual_environments_python_is_found(tmp_path):
    """The VBA's LoadLibrary tries ParentFolder(python) then its parent: venv\\Scripts\\python.exe
    finds venv\\xlwings64-<v>.dll; a DLL of another version is not the one it loads."""
    venv = tmp_path / "venv"
    (venv / "Scripts").mkdir(parents=True)
    dll = venv / "xlwings64-0.37.8.dll"
    dll.write_bytes(b"dll")
    check = inst.check_dll(str(venv / "Scripts" / "python.exe"), "0.37.8", [dll])
    assert check.looked_in == (venv / "Scripts", venv) and check.found == (dll,) and check.ok
    other = inst.check_dll(str(venv / "Scripts" / "python.exe"), "0.38.0", [dll])
    assert other.name == "xlwings64-0.38.0.dll" and other.found == () and not other.ok
    assert inst.windows_parent("C:\\Py\\Scripts\\python.exe") == "C:\\Py\\Scripts"


def test_status_says_where_a_user_install_put_the_dll(home, windows, monkeypatch, capsys):
    """pip install --user puts xlwings64-<v>.dll under %APPDATA%\\Python\\Python311, while the
    add-in's VBA looks beside python.exe and in its parent folder."""
    python_dir = home / "AppData" / "Local" / "Programs" / "Python" / "Python311"
    python_dir.mkdir(parents=True)
    user_dll = home / "AppData" / "Roaming" / "Python" / "Python311" / "xlwings64-0.37.8.dll"
    user_dll.parent.mkdir(parents=True)
    user_dll.write_bytes(b"dll")
    interpreter = str(python_dir / "python.exe")
    _simulate(monkeypatch, windows, "cp936", [user_dll])
    inst.install(windows, "en", interpreter=interpreter, encoding="cp936")
    assert main(["addin", "status", "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (f"xlwings DLL: xlwings64-0.37.8.dll is in {user_dll}, but the add-in looks only in {python_dir} / "
            f"{python_dir.parent} (a per-user install, pip --user, puts it elsewhere). Fix: install OrderDesk in a "
            "virtual environment (py -m venv C:\\OrderDesk\\venv, then its pip install orderdesk and its orderdesk "
            f"addin install), or copy {user_dll} to {python_dir}") in out
    # once the DLL is where the VBA looks, status says so
    (python_dir / "xlwings64-0.37.8.dll").write_bytes(b"dll")
    assert main(["addin", "status", "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"xlwings DLL: xlwings64-0.37.8.dll is in {python_dir}, where the add-in looks for it — OK" in out


def _simulate(monkeypatch, layout, encoding, dlls):
    monkeypatch.setattr(inst, "current_platform", lambda: layout.platform)
    monkeypatch.setattr(inst, "layout", lambda: layout)
    monkeypatch.setattr(inst, "config_encoding", lambda platform: encoding)
    monkeypatch.setattr(inst, "xlwings_dlls", lambda: dlls)


def test_status_before_and_after_install_through_the_cli(home, windows, monkeypatch, capsys):
    import sys
    _simulate(monkeypatch, windows, "cp936", [])
    assert main(["addin", "status", "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    source = bundle_mod.locate().path(bundle_mod.ADDIN_FILE)
    assert out[0].startswith(f"package add-in: {source} (") and "checked: VBA project OrderDesk, xlwings 0.37.8" in out[0]
    assert f"add-in: {windows.addin_dir / 'OrderDesk.xlam'} (not installed: run orderdesk addin install)" in out
    assert f"add-in config: {windows.config_file} (missing: run orderdesk addin install)" in out
    assert main(["addin", "install", "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"Installed {windows.addin_dir / 'OrderDesk.xlam'}", f"Installed {windows.config_file}",
                   f"The add-in's xlwings config: {windows.config_file} (cp936); your {windows.xlwings_conf} was "
                   "not touched",
                   "Restart Excel (on macOS quit with Cmd-Q): the OrderDesk tab appears on the ribbon. To undo: "
                   "orderdesk addin remove"]
    assert windows.config_file.read_bytes().decode("cp936").startswith(f'"INTERPRETER_WIN","{sys.executable}"\r\n')
    assert main(["addin", "status", "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"add-in: {windows.addin_dir / 'OrderDesk.xlam'} (installed, same as the package's)" in out
    assert f"add-in config: {windows.config_file} (cp936)" in out
    assert main(["addin", "remove", "--lang", "en"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"Removed {windows.addin_dir / 'OrderDesk.xlam'}",
                                                     f"Removed {windows.config_file}"]
    assert (home / ".xlwings" / "xlwings.conf").read_bytes() == USER_XLWINGS_CONF


def test_status_warns_about_lines_an_older_orderdesk_left_in_the_users_xlwings_conf(home, macos, monkeypatch, capsys):
    old = b'"INTERPRETER_MAC","/usr/bin/python3"\n"UDF Modules","addin.excel.udfs"\n'
    (home / ".xlwings" / "xlwings.conf").write_bytes(old)
    _simulate(monkeypatch, macos, "utf-8", [])
    assert main(["addin", "status", "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (f'note: {macos.xlwings_conf} holds the lines "UDF MODULES" that an older OrderDesk install wrote; they '
            "make your other xlwings workbooks use OrderDesk's settings — delete those lines") in out
    import xlwings
    assert (f"AppleScript: {macos.script_dir / f'xlwings-{xlwings.__version__}.applescript'} is missing; RunPython "
            "needs it: run orderdesk addin install") in out
    assert (home / ".xlwings" / "xlwings.conf").read_bytes() == old


def test_remove_of_an_addin_held_by_excel_changes_nothing(home, windows, monkeypatch, capsys):
    inst.install(windows, "en", interpreter=PY_ZH, encoding="cp936")
    before = snapshot(home)
    real_replace = os.replace

    def held(src, dst):
        if Path(dst).name == "OrderDesk.xlam":
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(inst.os, "replace", held)
    _simulate(monkeypatch, windows, "cp936", [])
    assert main(["addin", "remove", "--lang", "en"]) == 1
    assert capsys.readouterr().err == (f"Error: {windows.addin_dir / 'OrderDesk.xlam'} is in use (is Excel running?) — "
                                       "quit Excel and run again. Nothing was changed.\n")
    assert snapshot(home) == before


# ---------------------------------------------------------------- templates

def test_templates_are_copied_and_never_overwrite(tmp_path, capsys):
    out = tmp_path / "mine"
    assert main(["addin", "templates", "--out", str(out), "--lang", "en"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["OrderLedger.xlsm", "ContractReview.xlsm", "template_ledger_zh.xlsx", "template_ledger_en.xlsx"])
    src = bundle_mod.locate().path("workbook_templates/OrderLedger.xlsm")
    assert (out / "OrderLedger.xlsm").read_bytes() == src.read_bytes()
    capsys.readouterr()
    (out / "OrderLedger.xlsm").write_bytes(b"my edited ledger")
    assert main(["addin", "templates", "--out", str(out), "--lang", "en"]) == 1
    assert capsys.readouterr().err == (f"Error: {out / 'OrderLedger.xlsm'} already exists — choose another folder; "
                                       "existing files are not overwritten\n")
    assert (out / "OrderLedger.xlsm").read_bytes() == b"my edited ledger"
