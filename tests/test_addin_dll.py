"""Issue 13 item 4: what the add-in's VBA needs outside the workbook, checked against simulated
Windows and macOS homes. Windows: the xlwings DLL the VBA declares must be where ``XLPyLoadDLL``
looks (the configured interpreter's folder, then its parent; with no interpreter configured,
Windows' DLL search over PATH). pip puts it in the data folder of its scheme: the interpreter's
folder (python.org install, conda), the venv root, %APPDATA%\\Python for ``pip --user``, the
package's LocalCache for the Microsoft Store Python. macOS: the AppleScript RunPython calls."""
from __future__ import annotations

import re
import sysconfig
from pathlib import Path

import pytest
import xlwings

from addin.cli import main
from addin.commands import addin as addin_cmd
from addin.xlam import bundle as bundle_mod
from addin.xlam import install as inst

XLWINGS_DIR = Path(xlwings.__file__).parent
VERSION = xlwings.__version__
DLL64, DLL32 = f"xlwings64-{VERSION}.dll", f"xlwings32-{VERSION}.dll"


@pytest.fixture(scope="module")
def facts() -> inst.AddinFacts:
    return inst.read_addin(bundle_mod.locate().path(bundle_mod.ADDIN_FILE))


@pytest.fixture(autouse=True)
def sixty_four_bit_excel(monkeypatch):
    monkeypatch.setattr(inst, "office_bits", lambda: 64)


def dll_at(folder: Path, name: str = DLL64) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"MZ")
    return folder / name


# ---------------------------------------------------------------- what the built VBA declares

def test_the_addin_declares_the_dll_and_applescript_of_the_xlwings_it_was_built_with(facts):
    source = (XLWINGS_DIR / "xlwings_custom_addin.bas").read_text(encoding="utf-8")
    declared = set(re.findall(r'XLPyDLLName As String = "([^"]+)"', source))
    assert set(facts.dlls) == declared == {DLL64, DLL32}
    assert facts.dll(64) == DLL64 and facts.dll(32) == DLL32
    # RunPython on macOS: AppleScriptTask("xlwings-" & XLWINGS_VERSION & ".applescript", ...)
    assert facts.applescript == f"xlwings-{VERSION}.applescript"
    assert (XLWINGS_DIR / facts.applescript).is_file()


def test_macos_install_puts_the_applescript_where_xlwings_own_addin_install_does(tmp_path, facts):
    """xlwings' cli.py runpython_install copies xlwings-<version>.applescript into
    ~/Library/Application Scripts/com.microsoft.Excel."""
    cli = (XLWINGS_DIR / "cli.py").read_text(encoding="utf-8")
    assert '"/Library/Application Scripts/com.microsoft.Excel"' in cli
    assert 'f"xlwings-{xw.__version__}.applescript"' in cli
    layout = inst.Layout.for_platform("macos", tmp_path)
    inst.install(layout, "en", interpreter="/Users/li/venv/bin/python3", encoding="utf-8")
    script = tmp_path / "Library" / "Application Scripts" / "com.microsoft.Excel" / facts.applescript
    assert script.read_bytes() == (XLWINGS_DIR / facts.applescript).read_bytes()


# ---------------------------------------------------------------- where pip puts the DLL

def test_pip_data_folders_are_the_ones_simulated_here():
    """xlwings ships its DLLs as data files: they land in the scheme's data folder."""
    assert sysconfig.get_paths(scheme="nt", vars={"base": "B"})["data"] == "B"
    assert sysconfig.get_paths(scheme="nt_user", vars={"userbase": "U"})["data"] == "U"


def windows_home(tmp_path: Path) -> dict[str, Path]:
    home = tmp_path / "Users" / "li"
    return {"home": home, "appdata": home / "AppData" / "Roaming", "local": home / "AppData" / "Local"}


def status_dll(facts, config: dict[str, str], env: dict[str, str], found: list[Path], monkeypatch,
               lang: str = "en") -> str:
    monkeypatch.setattr(inst, "xlwings_dlls", lambda: found)
    return addin_cmd.dll_line(facts, config, lang, env)


def test_python_org_install_has_the_dll_beside_python(tmp_path, facts, monkeypatch):
    h = windows_home(tmp_path)
    python_dir = h["local"] / "Programs" / "Python" / "Python311"
    dll = dll_at(python_dir)
    line = status_dll(facts, {"INTERPRETER_WIN": str(python_dir / "python.exe")}, {}, [dll], monkeypatch)
    assert line == f"xlwings DLL: {DLL64} is in {python_dir}, where the add-in looks for it — OK"


def test_a_venv_has_it_in_its_root_the_parent_of_scripts(tmp_path, facts, monkeypatch):
    venv = tmp_path / "OrderDesk" / "venv"
    dll = dll_at(venv)
    line = status_dll(facts, {"INTERPRETER_WIN": str(venv / "Scripts" / "pythonw.exe")}, {}, [dll], monkeypatch)
    assert line == f"xlwings DLL: {DLL64} is in {venv}, where the add-in looks for it — OK"


def test_an_environment_variable_in_the_config_is_expanded_as_the_vba_does(tmp_path, facts, monkeypatch):
    h = windows_home(tmp_path)
    python_dir = h["local"] / "Programs" / "Python" / "Python312"
    dll = dll_at(python_dir)
    config = {"INTERPRETER_WIN": "%LocalAppData%/Programs/Python/Python312/python.exe"}
    line = status_dll(facts, config, {"LOCALAPPDATA": str(h["local"])}, [dll], monkeypatch)
    assert line == f"xlwings DLL: {DLL64} is in {python_dir}, where the add-in looks for it — OK"
    assert inst.expand_windows("%NOPE%\\x", {}) == "%NOPE%\\x"


def test_pip_user_puts_it_under_appdata_python_and_status_says_what_to_do(tmp_path, facts, monkeypatch):
    h = windows_home(tmp_path)
    python_dir = h["local"] / "Programs" / "Python" / "Python311"
    python_dir.mkdir(parents=True)
    dll = dll_at(h["appdata"] / "Python")                 # nt_user data = %APPDATA%\Python
    line = status_dll(facts, {"INTERPRETER_WIN": str(python_dir / "python.exe")}, {}, [dll], monkeypatch)
    assert line == (f"xlwings DLL: {DLL64} is in {dll}, but the add-in looks only in {python_dir} / "
                    f"{python_dir.parent} (a per-user install, pip --user, puts it elsewhere). Fix: install "
                    "OrderDesk in a virtual environment (py -m venv C:\\OrderDesk\\venv, then its pip install "
                    f"orderdesk and its orderdesk addin install), or copy {dll} to {python_dir}")
    zh = status_dll(facts, {"INTERPRETER_WIN": str(python_dir / "python.exe")}, {}, [dll], monkeypatch, "zh")
    assert zh.startswith(f"xlwings DLL：{DLL64} 位于 {dll}，但加载项只在 {python_dir} / {python_dir.parent} 中查找")


def test_microsoft_store_python_keeps_it_in_its_local_cache(tmp_path, facts, monkeypatch):
    h = windows_home(tmp_path)
    package = "PythonSoftwareFoundation.Python.3.11_qbz5n2kfra8p0"
    alias = h["local"] / "Microsoft" / "WindowsApps" / package / "python.exe"
    dll = dll_at(h["local"] / "Packages" / package / "LocalCache" / "local-packages")
    line = status_dll(facts, {"INTERPRETER_WIN": str(alias)}, {}, [dll], monkeypatch)
    assert line == (f"xlwings DLL: {DLL64} is in {dll}, but the add-in looks only in {alias.parent} / "
                    f"{alias.parent.parent} (the Microsoft Store Python keeps packages apart, and its folder cannot "
                    "be written). Fix: install OrderDesk in a virtual environment (py -m venv C:\\OrderDesk\\venv, then "
                    "its pip install orderdesk and its orderdesk addin install)")


def test_conda_environment_from_conda_path_and_env(facts):
    python, loads = inst.vba_python({"CONDA PATH": "C:\\Users\\li\\miniconda3", "CONDA ENV": "orderdesk"}, {})
    assert (python, loads) == ("C:\\Users\\li\\miniconda3\\envs\\orderdesk\\pythonw", True)
    assert inst.vba_python({"CONDA PATH": "C:\\conda", "CONDA ENV": "base", "INTERPRETER": "python"}, {}) == \
        ("C:\\conda\\python", True)
    assert inst.vba_python({"CONDA PATH": "C:\\conda", "CONDA ENV": "D:\\envs\\od"}, {}) == ("D:\\envs\\od\\pythonw", True)
    check = inst.check_dll("", VERSION, [], config={"CONDA PATH": "C:\\conda", "CONDA ENV": "od"}, env={})
    assert check.looked_in == (Path("C:\\conda\\envs\\od"), Path("C:\\conda\\envs")) and not check.search_path


def test_no_interpreter_configured_means_windows_searches_path(tmp_path, facts, monkeypatch):
    """XLPyLoadDLL calls LoadLibrary only for a configured interpreter; for plain pythonw the
    Declare statements leave the search to Windows (PATH)."""
    h = windows_home(tmp_path)
    python_dir = h["local"] / "Programs" / "Python" / "Python311"
    dll = dll_at(python_dir)
    env = {"Path": f"C:\\Windows\\system32;{tmp_path / 'bin'}"}
    line = status_dll(facts, {}, env, [dll], monkeypatch)
    assert line == (f"xlwings DLL: the add-in's config names no Python (it runs pythonw), so Windows looks for "
                    f"{DLL64} on PATH and does not find it (xlwings put it in: {dll}). Fix: run orderdesk addin "
                    "install with the Python that has OrderDesk: it writes Interpreter_Win, and the add-in then "
                    "loads the DLL from that Python's folder")
    env["Path"] += f";{python_dir}"
    assert status_dll(facts, {}, env, [dll], monkeypatch) == (
        f"xlwings DLL: {DLL64} is in {python_dir} on PATH, where Windows finds it (the add-in's config names no "
        "Python) — OK")


def test_32_bit_excel_needs_the_32_bit_dll(tmp_path, facts, monkeypatch):
    venv = tmp_path / "venv"
    dll64 = dll_at(venv)
    monkeypatch.setattr(inst, "office_bits", lambda: 32)
    line = status_dll(facts, {"INTERPRETER_WIN": str(venv / "Scripts" / "python.exe")}, {}, [dll64], monkeypatch)
    assert line == (f"xlwings DLL: {DLL32} was not found (the add-in looks in {venv / 'Scripts'} / {venv}): "
                    f"reinstall xlwings=={VERSION} with this Python")
    dll32 = dll_at(venv, DLL32)
    line = status_dll(facts, {"INTERPRETER_WIN": str(venv / "Scripts" / "python.exe")}, {}, [dll64, dll32], monkeypatch)
    assert line == f"xlwings DLL: {DLL32} is in {venv}, where the add-in looks for it — OK"


def test_status_through_the_cli_reads_the_installed_config(tmp_path, monkeypatch, capsys):
    """install writes Interpreter_Win; status then looks beside that Python, as the VBA will."""
    h = windows_home(tmp_path)
    layout = inst.Layout.for_platform("windows", h["home"], h["appdata"])
    venv = tmp_path / "OrderDesk" / "venv"
    dll = dll_at(venv)
    monkeypatch.setattr(inst, "current_platform", lambda: "windows")
    monkeypatch.setattr(inst, "layout", lambda: layout)
    monkeypatch.setattr(inst, "config_encoding", lambda platform: "cp936")
    monkeypatch.setattr(inst, "xlwings_dlls", lambda: [dll])
    assert main(["addin", "status", "--lang", "en"]) == 0
    assert f"xlwings DLL: the add-in's config names no Python (it runs pythonw)" in capsys.readouterr().out
    inst.install(layout, "en", interpreter=str(venv / "Scripts" / "python.exe"), encoding="cp936")
    assert main(["addin", "status", "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"xlwings DLL: {DLL64} is in {venv}, where the add-in looks for it — OK" in out


def test_macos_status_names_the_applescript_the_vba_calls(tmp_path, facts, monkeypatch, capsys):
    layout = inst.Layout.for_platform("macos", tmp_path)
    monkeypatch.setattr(inst, "current_platform", lambda: "macos")
    monkeypatch.setattr(inst, "layout", lambda: layout)
    monkeypatch.setattr(inst, "config_encoding", lambda platform: "utf-8")
    script = layout.script_dir / facts.applescript
    assert main(["addin", "status", "--lang", "zh"]) == 0
    assert f"AppleScript：缺少 {script}，RunPython 需要它：运行 orderdesk addin install" in capsys.readouterr().out
    inst.install(layout, "en", interpreter="/Users/li/venv/bin/python3", encoding="utf-8")
    assert main(["addin", "status", "--lang", "en"]) == 0
    assert f"AppleScript: {script} — OK" in capsys.readouterr().out.splitlines()


def test_office_bits_defaults_to_64_off_windows(monkeypatch):
    monkeypatch.undo()
    assert inst.office_bits() == 64


def test_a_damaged_addin_is_explained_in_chinese(tmp_path):
    path = tmp_path / "OrderDesk.xlam"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(inst.FileError) as err:
        inst.check_addin(path, "zh")
    assert str(err.value).startswith(f"{path} 不是可用的加载项：它不是可读取的 Excel 文件（File is not a zip file）")


def test_macos_install_refuses_an_addin_whose_vba_calls_another_applescript(tmp_path, monkeypatch):
    layout = inst.Layout.for_platform("macos", tmp_path / "home")
    other = tmp_path / "xlwings-0.0.1.applescript"
    other.write_text("on VbaHandler()\nend VbaHandler\n")
    monkeypatch.setattr(inst, "applescript_source", lambda: other)
    with pytest.raises(inst.FileError) as err:
        inst.install(layout, "en", interpreter="/Users/li/venv/bin/python3", encoding="utf-8")
    assert f"its VBA runs xlwings-{VERSION}.applescript, but xlwings has xlwings-0.0.1.applescript" in str(err.value)
    assert not (tmp_path / "home").exists()
