"""The package as a user gets it: a source distribution and a wheel built from this tree, the
wheel installed (not editable) into a fresh virtual environment outside the checkout, and the
installed `orderdesk` run there: `addin status` checks the add-in the wheel carries, and the
install / remove logic runs against a temporary home with the Windows (cp936) and macOS layouts
simulated. Offline: the build uses the setuptools already installed (no build isolation), the
venv sees the already-installed dependencies (--system-site-packages), the wheel goes in with
--no-deps."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from addin.xlam import bundle as bundle_mod

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow   # about 20 s; runs in .ci/run like every other test


def run(args, cwd, env=None, check=True):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_"))}
    env.update(HOME=str(home), USERPROFILE=str(home), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               LANG="C.UTF-8", LC_ALL="C.UTF-8", PYTHONWARNINGS="ignore", PYTHONIOENCODING="utf-8")
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """sdist from a copy of the tree (so MANIFEST.in is what carries macros/ and the templates),
    then the wheel from the unpacked sdist, as pip does from PyPI."""
    import setuptools
    if tuple(int(x) for x in setuptools.__version__.split(".")[:2]) < (70, 1):
        pytest.fail(f"setuptools {setuptools.__version__} cannot build a wheel offline: pip install 'setuptools>=70.1' "
                    "(the [test] extra asks for it)")
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.bak.*", "~$*", "bundled")
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ("addin", "macros", "workbook_templates"):
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)
    env = clean_env(base)
    run([sys.executable, "-c", "import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))",
         str(base / "sdist")], cwd=src, env=env)
    [sdist] = (base / "sdist").glob("orderdesk-*.tar.gz")
    with tarfile.open(sdist) as tar:
        tar.extractall(base / "unpacked", filter="data")
    [unpacked] = (base / "unpacked").iterdir()
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(base / "dist"),
         str(unpacked)], cwd=base, env=env)
    [whl] = (base / "dist").glob("orderdesk-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("venv") / "家" / "venv"   # the interpreter's path holds a Chinese name
    target.parent.mkdir()
    env = clean_env(target.parent)
    run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(target)], cwd=target.parent, env=env)
    python = target / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        cwd=target.parent, env=env)
    return target


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def test_the_wheel_carries_the_addin_templates_and_macros_with_their_manifest(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("addin/bundled/manifest.json"))
        for rel, entry in manifest["files"].items():
            import hashlib
            assert hashlib.sha256(z.read(f"addin/bundled/{rel}")).hexdigest() == entry["sha256"], rel
    expected = set(bundle_mod.collect(ROOT))
    assert set(manifest["files"]) == expected
    assert {"workbook_templates/OrderDesk.xlam", "workbook_templates/OrderLedger.xlsm",
            "workbook_templates/ContractReview.xlsm", "macros/OrderDeskMacros.bas", "macros/customUI14.xml",
            "macros/generated/xlwings_udfs_addin.bas"} <= expected
    assert {"addin/data/aliases.toml", "addin/xlam/install.py", "addin/tomlcompat.py"} <= names
    # the wheel's files are the checkout's (the .xlam is the committed build)
    for rel in expected:
        assert manifest["files"][rel]["sha256"] == bundle_mod.sha256(ROOT / rel), rel
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    with zipfile.ZipFile(wheel) as z:
        text = z.read(metadata).decode("utf-8")
    assert "Requires-Python: >=3.10" in text
    assert 'Requires-Dist: tomli>=1.1; python_version < "3.11"' in text


def test_installed_orderdesk_runs_from_the_venv_and_checks_the_packaged_addin(venv, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(home)
    where = run([str(venv_python(venv)), "-c", "import addin, sys; print(addin.__file__); print(sys.prefix)"],
                cwd=tmp_path, env=env).stdout.splitlines()
    package = Path(where[0]).parent
    assert package.is_relative_to(venv) and not package.is_relative_to(ROOT)
    exe = venv / ("Scripts/orderdesk.exe" if os.name == "nt" else "bin/orderdesk")
    done = run([str(exe), "addin", "status", "--lang", "en"], cwd=tmp_path, env=env, check=False)
    source = package / "bundled" / "workbook_templates" / "OrderDesk.xlam"
    assert done.stdout.splitlines()[0] == (f"package add-in: {source} (from the installed package; checked: VBA project "
                                           "OrderDesk, xlwings 0.37.8, sha256 matches the manifest)"), done.stderr
    if sys.platform.startswith("linux"):
        assert done.returncode == 2
        assert done.stderr == ("Excel is not available on this system (linux): the add-in can be built here but "
                               "installed only on Windows or macOS.\n")
    # the developer's staleness check is not the user's business: no "macros/generated is stale"
    assert "stale" not in done.stdout + done.stderr


SIMULATION = textwrap.dedent('''
    """Run the installed package's install / status / remove with a simulated Windows or macOS."""
    import json, os, sys
    from pathlib import Path
    from addin.cli import main
    from addin.xlam import install as inst

    platform, encoding, home = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    layout = inst.Layout.for_platform(platform, home, home / "AppData" / "Roaming" if platform == "windows" else None)
    inst.current_platform = lambda: platform
    inst.layout = lambda: layout
    inst.config_encoding = lambda p: encoding
    inst.xlwings_dlls = lambda: []

    def snapshot():
        return {str(p.relative_to(home)): (p.read_bytes().hex() if p.is_file() else None) for p in sorted(home.rglob("*"))}

    out = {"before": snapshot()}
    # a failure midway: the add-in is moved into place, then writing the config fails
    real = os.replace
    def failing(src, dst):
        if Path(dst) == layout.config_file:
            raise OSError(5, "Input/output error")
        return real(src, dst)
    os.replace = failing
    out["failed_rc"] = main(["addin", "install", "--lang", "en"])
    os.replace = real
    out["after_failure"] = snapshot()
    out["install_rc"] = main(["addin", "install", "--lang", "en"])
    out["addin"] = str(layout.addin_dir / "OrderDesk.xlam")
    out["config"] = str(layout.config_file)
    out["config_hex"] = layout.config_file.read_bytes().hex()
    out["script_dir"] = str(layout.script_dir) if layout.script_dir else None
    out["status_rc"] = main(["addin", "status", "--lang", "en"])
    out["installed"] = snapshot()
    out["remove_rc"] = main(["addin", "remove", "--lang", "en"])
    out["after_remove"] = snapshot()
    print("JSON" + json.dumps(out))
''')


@pytest.mark.parametrize("platform, encoding", [("windows", "cp936"), ("windows", "utf-8"), ("macos", "utf-8")])
def test_install_and_remove_from_the_wheel_against_a_temporary_home(venv, tmp_path, platform, encoding):
    home = tmp_path / "家"          # a Chinese user name: the interpreter path holds it
    (home / ".xlwings").mkdir(parents=True)
    users_conf = '"INTERPRETER_WIN","C:\\Users\\张三\\anaconda3\\pythonw.exe"\r\n'.encode("cp936")
    (home / ".xlwings" / "xlwings.conf").write_bytes(users_conf)
    script = tmp_path / "simulate.py"
    script.write_text(SIMULATION, encoding="utf-8")
    done = run([str(venv_python(venv)), str(script), platform, encoding, str(home)], cwd=tmp_path, env=clean_env(home))
    out = json.loads(done.stdout.split("JSON", 1)[1])
    assert out["failed_rc"] == 1 and "Installing failed while writing" in done.stderr
    assert out["after_failure"] == out["before"]                       # nothing left by the failure
    assert out["install_rc"] == 0 and out["status_rc"] == 0 and out["remove_rc"] == 0
    installed = {k: bytes.fromhex(v) if v else v for k, v in out["installed"].items()}
    rel_addin = str(Path(out["addin"]).relative_to(home))
    assert installed[rel_addin] == (ROOT / "workbook_templates" / "OrderDesk.xlam").read_bytes()
    config = bytes.fromhex(out["config_hex"])
    key = "INTERPRETER_WIN" if platform == "windows" else "INTERPRETER_MAC"
    newline = "\r\n" if platform == "windows" else "\n"
    interpreter = str(venv_python(venv))
    assert config == f'"{key}","{interpreter}"{newline}"UDF Modules","addin.excel.udfs"{newline}'.encode(encoding)
    assert "家".encode(encoding) in config                             # the path, in the code page VBA reads
    # the user's xlwings.conf: byte for byte, at every step
    for step in ("after_failure", "installed", "after_remove"):
        assert bytes.fromhex(out[step][".xlwings/xlwings.conf"]) == users_conf
    if platform == "macos":
        import xlwings
        script_rel = str(Path(out["script_dir"]).relative_to(home) / f"xlwings-{xlwings.__version__}.applescript")
        assert installed[script_rel] == (Path(xlwings.__file__).parent / Path(script_rel).name).read_bytes()
    assert "Restart Excel" in done.stdout and "Removed" in done.stdout
    assert out["after_remove"] == out["before"]                        # remove undoes the install exactly
