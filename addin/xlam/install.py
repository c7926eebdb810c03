"""Install and remove the OrderDesk add-in for the user's Excel (SPEC section 7), and say what
state it is in. No Excel needed: everything here is files in the user's folders.

What an install writes (:class:`Layout` gives the paths for Windows and macOS):

- ``OrderDesk.xlam`` into the folder Excel loads add-ins from at start;
- the add-in's own xlwings config file ``OrderDesk.conf`` (the add-in's VBA has
  ``PROJECT_NAME = "OrderDesk"``: Windows ``%USERPROFILE%\\.OrderDesk\\OrderDesk.conf``, macOS
  ``~/Library/Containers/com.microsoft.Excel/Data/OrderDesk.conf``), written in the encoding VBA
  reads it with (``Open ... For Input``: the ANSI code page on Windows, cp936 on Simplified
  Chinese Windows);
- on macOS, xlwings' AppleScript (``xlwings-<version>.applescript``) into
  ``~/Library/Application Scripts/com.microsoft.Excel``, as ``xlwings addin install`` does, which
  RunPython needs there.

The user's own ``~/.xlwings/xlwings.conf`` is never written. The install is all-or-nothing:
everything is checked first (the package's files against its manifest, the ``.xlam`` read back as
a VBA project, the config encodable), then staged next to its target, then moved into place; a
file replaced is first copied to the backup folder; on any failure what was moved is put back and
the staged files are deleted. A record (``install.json`` in the state folder) lists what was
installed and backed up; :func:`remove` undoes the install from it.
"""
from __future__ import annotations

import datetime as _dt
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from addin.errors import FileError
from addin.i18n import t
from addin.xlam.bundle import ADDIN_FILE, Bundle, locate, sha256

ADDIN_NAME = "OrderDesk.xlam"
PROJECT_NAME = "OrderDesk"          # addin.xlam.build writes it into the add-in's VBA
CONFIG_NAME = f"{PROJECT_NAME}.conf"
UDF_MODULE = "addin.excel.udfs"
RECORD = "install.json"
MAC_GROUP = Path("Library") / "Group Containers" / "UBF8T346G9.Office"
MAC_CONTAINER = Path("Library") / "Containers" / "com.microsoft.Excel" / "Data"
MAC_SCRIPTS = Path("Library") / "Application Scripts" / "com.microsoft.Excel"
REQUIRED_MODULES = ("xlwings", "xlwings_udfs", "OrderDeskMacros", "RibbonOrderDesk", "Dictionary")
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"


def current_platform() -> str:
    return "windows" if sys.platform.startswith("win") else "macos" if sys.platform == "darwin" else sys.platform


@dataclass(frozen=True)
class Layout:
    """Where an install puts each file on one platform, for one user."""
    platform: str
    home: Path
    addin_dir: Path            # Excel opens every add-in here at start
    config_file: Path          # the add-in's own xlwings config file (PROJECT_NAME.conf)
    state_dir: Path            # the install record and the backups
    script_dir: Path | None    # macOS: where Excel runs AppleScripts from (RunPython)
    xlwings_conf: Path         # the user's own xlwings config: read to warn, never written

    @classmethod
    def for_platform(cls, platform: str, home: Path, appdata: Path | None = None) -> Layout:
        home = Path(home)
        if platform == "windows":
            appdata = Path(appdata) if appdata else home / "AppData" / "Roaming"
            return cls(platform, home, appdata / "Microsoft" / "Excel" / "XLSTART",
                       home / f".{PROJECT_NAME}" / CONFIG_NAME, home / f".{PROJECT_NAME}", None,
                       home / ".xlwings" / "xlwings.conf")
        if platform == "macos":
            return cls(platform, home,
                       home / MAC_GROUP / "User Content.localized" / "Startup.localized" / "Excel",
                       home / MAC_CONTAINER / CONFIG_NAME, home / f".{PROJECT_NAME}", home / MAC_SCRIPTS,
                       home / ".xlwings" / "xlwings.conf")
        raise ValueError(f"no Excel on {platform}")


def layout() -> Layout:
    """This user's layout on this system (Windows: %USERPROFILE% and %APPDATA%)."""
    platform = current_platform()
    if platform == "windows":
        home = Path(os.environ.get("USERPROFILE") or Path.home())
        return Layout.for_platform(platform, home, Path(os.environ["APPDATA"]) if os.environ.get("APPDATA") else None)
    return Layout.for_platform(platform, Path.home())


def ansi_codepage() -> str:
    """The encoding VBA's ``Open ... For Input`` reads on this Windows (GetACP: cp936 on Simplified
    Chinese Windows, cp1252 on Western ones, cp65001 = UTF-8 where the system uses UTF-8)."""
    import ctypes
    return f"cp{ctypes.windll.kernel32.GetACP()}"  # type: ignore[attr-defined]


def config_encoding(platform: str) -> str:
    return ansi_codepage() if platform == "windows" else "utf-8"


def xlwings_version() -> str:
    """The installed xlwings' version, read from its metadata: importing xlwings reads the user's
    ~/.xlwings/xlwings.conf as UTF-8 (its licence lookup) and fails on a config in the ANSI code page."""
    return importlib.metadata.version("xlwings")


def xlwings_folder() -> Path:
    """The installed xlwings package's folder, found without importing it (see xlwings_version)."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("xlwings is not installed")
    return Path(spec.origin).parent


# ---------------------------------------------------------------- the config file

def config_settings(platform: str, interpreter: str) -> dict[str, str]:
    """What the install writes into OrderDesk.conf: the interpreter xlwings starts and the UDF module."""
    key = "INTERPRETER_WIN" if platform == "windows" else "INTERPRETER_MAC"
    return {key: interpreter, "UDF Modules": UDF_MODULE}


def parse_config(text: str) -> dict[str, str]:
    """Read the lines ``"KEY","value"`` as VBA's ``Input #`` does (the key in upper case)."""
    out = {}
    for line in text.splitlines():
        m = re.fullmatch(r'\s*"([^"]*)"\s*,\s*"([^"]*)"\s*', line)
        if m:
            out[m.group(1).upper()] = m.group(2)
    return out


def config_lines(existing: str, settings: dict[str, str], newline: str = "\n") -> str:
    """Config lines ("KEY","value"): ours replace same-named keys, the user's others are kept."""
    keys = {k.upper() for k in settings}
    kept = [line for line in existing.splitlines()
            if line.strip() and line.split(",", 1)[0].strip().strip('"').upper() not in keys]
    ours = [f'"{k}","{v}"' for k, v in settings.items()]
    return newline.join(kept + ours) + newline


def encode_config(text: str, encoding: str, lang: str) -> bytes:
    """``text`` in ``encoding``; a character it cannot hold is refused, naming it (before anything
    is copied: Excel would otherwise look for a Python that is not there)."""
    for line in text.splitlines():
        value = line.split(",", 1)[1].strip().strip('"') if "," in line else line
        bad = list(dict.fromkeys(ch for ch in value if not _encodable(ch, encoding)))  # in order of appearance
        if bad:
            raise FileError(t("addin.codepage", lang, path=value, chars=" ".join(bad), codepage=encoding))
    return text.encode(encoding)


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def check_config_value(value: str, lang: str) -> None:
    if '"' in value or "\n" in value or "\r" in value:
        raise FileError(t("addin.quote", lang, path=value))


# ---------------------------------------------------------------- the add-in, read back

@dataclass(frozen=True)
class AddinFacts:
    project: str
    project_name_const: str | None
    xlwings: str | None
    modules: tuple[str, ...]
    sheets: tuple[str, ...]
    dlls: tuple[str, ...] = ()          # XLPyDLLName of the VBA: xlwings64-<v>.dll (Win64), xlwings32-<v>.dll
    applescript: str | None = None      # what RunPython asks AppleScriptTask for on macOS

    def dll(self, bits: int) -> str:
        """The DLL the VBA declares for a ``bits``-bit Excel (``#If Win64``)."""
        return next((n for n in self.dlls if n.startswith(f"xlwings{bits}-")), f"xlwings{bits}-{self.xlwings}.dll")


def read_addin(path: Path, lang: str = "en") -> AddinFacts:
    """The VBA project of an ``.xlam`` read back (zip, OLE container, compressed modules): raises
    ``ValueError`` naming what is wrong (in ``lang``; the VBA reader's own details in English)."""
    from addin.xlam.ovba import read_vba_project
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "xl/vbaProject.bin" not in names:
                raise ValueError(t("addin.reason.no_vba", lang))
            if ADDIN_CONTENT_TYPE not in z.read("[Content_Types].xml").decode("utf-8", "replace"):
                raise ValueError(t("addin.reason.not_addin", lang))
            vba = z.read("xl/vbaProject.bin")
            workbook = z.read("xl/workbook.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ValueError(t("addin.reason.unreadable", lang, error=exc)) from exc
    project = read_vba_project(vba)
    xl = project.modules.get("xlwings", "")
    const = re.search(r'Public Const PROJECT_NAME As String = "([^"]*)"', xl)
    dll = sorted(set(re.findall(r"xlwings64-([0-9][0-9.]*[0-9])\.dll", xl)))
    sheets = tuple(re.findall(r'<sheet [^>]*name="([^"]*)"', workbook))
    names = tuple(sorted(set(re.findall(r'XLPyDLLName As String = "([^"]+)"', xl)), reverse=True))
    version = re.search(r'Public Const XLWINGS_VERSION As String = "([^"]*)"', xl)
    script = (f"xlwings-{version.group(1)}.applescript"
              if version and 'AppleScriptTask("xlwings-" & XLWINGS_VERSION & ".applescript"' in xl else None)
    return AddinFacts(project.name, const.group(1) if const else None, dll[0] if len(dll) == 1 else None,
                      tuple(project.modules), sheets, names, script)


def check_addin(path: Path, lang: str, expected_xlwings: str | None = None) -> AddinFacts:
    """Refuse an add-in that would not work: unreadable, modules missing, another project name
    (which would share another add-in's config), or built for another xlwings (its DLL)."""
    try:
        facts = read_addin(path, lang)
    except ValueError as exc:
        raise FileError(t("addin.bad_xlam", lang, file=str(path), reason=str(exc)), file=str(path)) from exc
    missing = [m for m in REQUIRED_MODULES if m not in facts.modules]
    problem = (t("addin.reason.modules", lang, modules=", ".join(missing)) if missing
               else t("addin.reason.project", lang, found=facts.project_name_const, expected=PROJECT_NAME)
               if facts.project_name_const != PROJECT_NAME
               else t("addin.reason.sheet", lang, sheet=CONFIG_NAME) if CONFIG_NAME not in facts.sheets else None)
    if problem:
        raise FileError(t("addin.bad_xlam", lang, file=str(path), reason=problem), file=str(path))
    expected = expected_xlwings or xlwings_version()
    if facts.xlwings != expected:
        raise FileError(t("addin.xlwings_mismatch", lang, file=str(path), built=facts.xlwings, installed=expected),
                        file=str(path))
    return facts


def package_bundle(lang: str) -> Bundle:
    bundle = locate()
    if bundle is None:
        raise FileError(t("addin.incomplete", lang, file=ADDIN_FILE))
    return bundle


def check_bundle(bundle: Bundle, rels: list[str], lang: str) -> None:
    for rel, found, expected in bundle.mismatches(rels):
        if found == "missing":
            raise FileError(t("addin.incomplete", lang, file=str(bundle.path(rel))), file=str(bundle.path(rel)))
        raise FileError(t("addin.corrupt", lang, file=str(bundle.path(rel)), found=found[:12], expected=expected[:12]),
                        file=str(bundle.path(rel)))


def applescript_source() -> Path:
    return xlwings_folder() / f"xlwings-{xlwings_version()}.applescript"


# ---------------------------------------------------------------- install / remove

@dataclass
class Step:
    """One file to put in place: ``data`` is its new content."""
    target: Path
    data: bytes
    kind: str                   # addin | config | applescript
    backup: Path | None = None  # where the file it replaces was copied
    staged: Path | None = None
    moved: bool = False
    created_dirs: list[Path] = field(default_factory=list)


@dataclass
class Outcome:
    written: list[Path]
    backups: list[tuple[Path, Path]]
    unchanged: list[Path]
    record: Path
    encoding: str


def _record(layout_: Layout) -> dict:
    path = layout_.state_dir / RECORD
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return {}


def _mkdirs(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; returns those created, deepest first."""
    created = []
    probe = folder
    while not probe.exists():
        created.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    return created


def _remove_dirs(dirs: list[Path]) -> None:
    """Remove the empty ones among ``dirs``, deepest first."""
    for d in sorted(set(dirs), key=lambda d: len(d.parts), reverse=True):
        try:
            d.rmdir()
        except OSError:
            pass


def plan_install(layout_: Layout, lang: str, *, interpreter: str | None = None, encoding: str | None = None,
                 bundle: Bundle | None = None) -> tuple[list[Step], str]:
    """Everything checked, nothing written: the files to put in place and the config encoding."""
    bundle = bundle or package_bundle(lang)
    check_bundle(bundle, [ADDIN_FILE], lang)
    source = bundle.path(ADDIN_FILE)
    check_addin(source, lang)
    interpreter = interpreter or sys.executable
    encoding = encoding or config_encoding(layout_.platform)
    check_config_value(interpreter, lang)
    existing = ""
    if layout_.config_file.is_file():
        raw = layout_.config_file.read_bytes()
        for candidate in (encoding, "utf-8"):
            try:
                existing = raw.decode(candidate)
                break
            except UnicodeDecodeError:
                continue
    newline = "\r\n" if layout_.platform == "windows" else "\n"
    text = config_lines(existing, config_settings(layout_.platform, interpreter), newline)
    steps = [Step(layout_.addin_dir / ADDIN_NAME, source.read_bytes(), "addin"),
             Step(layout_.config_file, encode_config(text, encoding, lang), "config")]
    if layout_.platform == "macos":
        script = applescript_source()
        facts = read_addin(source, lang)
        if facts.applescript != script.name:   # RunPython asks AppleScriptTask for exactly this name
            raise FileError(t("addin.bad_xlam", lang, file=str(source), reason=t(
                "addin.reason.applescript", lang, script=facts.applescript, found=script.name)), file=str(source))
        steps.append(Step(layout_.script_dir / script.name, script.read_bytes(), "applescript"))
    return steps, encoding


def install(layout_: Layout, lang: str = "en", *, interpreter: str | None = None, encoding: str | None = None,
            bundle: Bundle | None = None, now: _dt.datetime | None = None) -> Outcome:
    """Install all or nothing (see the module's docstring)."""
    steps, encoding = plan_install(layout_, lang, interpreter=interpreter, encoding=encoding, bundle=bundle)
    previous = _record(layout_)
    ours = {f["target"]: f for f in previous.get("files", [])}
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    backup_dir = layout_.state_dir / "backup" / stamp
    state_dirs: list[Path] = []
    unchanged: list[Path] = []
    try:
        for step in steps:                                   # stage: every file written next to its target
            step.created_dirs = _mkdirs(step.target.parent)
            step.staged = step.target.with_name(f".{step.target.name}.orderdesk-new")
            step.staged.write_bytes(step.data)
            if step.staged.read_bytes() != step.data:
                raise OSError(f"{step.staged} did not read back as written")
        state_dirs = _mkdirs(layout_.state_dir)
        for step in steps:                                   # back up what is replaced and is not ours
            if not step.target.exists():
                continue
            current = step.target.read_bytes()
            if current == step.data:
                unchanged.append(step.target)
                continue
            mine = ours.get(str(step.target))
            if mine and mine.get("sha256") == sha256(step.target):
                continue                                     # our own earlier install: its backup stays
            backup_dir.mkdir(parents=True, exist_ok=True)
            step.backup = backup_dir / f"{step.kind}-{step.target.name}"
            shutil.copy2(step.target, step.backup)
        for step in steps:                                   # move into place
            os.replace(step.staged, step.target)
            step.moved = True
    except OSError as exc:
        _roll_back(steps, backup_dir, state_dirs)
        failed = next((s.target for s in steps if not s.moved), steps[-1].target)
        if isinstance(exc, PermissionError):
            raise FileError(t("addin.locked", lang, file=str(failed)), file=str(failed)) from exc
        raise FileError(t("addin.failed", lang, file=str(failed), error=exc.strerror or str(exc)),
                        file=str(failed)) from exc
    record = _write_record(layout_, steps, ours, unchanged)
    return Outcome([s.target for s in steps if s.target not in unchanged],
                   [(s.target, s.backup) for s in steps if s.backup], unchanged, record, encoding)


def _roll_back(steps: list[Step], backup_dir: Path, state_dirs: list[Path]) -> None:
    for step in reversed(steps):
        if step.moved:
            if step.backup is not None:
                shutil.copy2(step.backup, step.target)
            else:
                step.target.unlink(missing_ok=True)
        if step.staged is not None:
            step.staged.unlink(missing_ok=True)
        if step.backup is not None:
            step.backup.unlink(missing_ok=True)
    _remove_dirs([backup_dir, backup_dir.parent] + state_dirs + [d for s in steps for d in s.created_dirs])


def _write_record(layout_: Layout, steps: list[Step], ours: dict, unchanged: list[Path]) -> Path:
    files = []
    for step in steps:
        before = ours.get(str(step.target), {})
        preexisting = step.target in unchanged and not before
        files.append({
            "target": str(step.target), "kind": step.kind, "sha256": sha256(step.target),
            # the user's file this install replaced (kept from the first install that replaced it)
            "backup": str(step.backup) if step.backup else before.get("backup"),
            # a file that was there, identical, before OrderDesk: remove leaves it
            "preexisting": bool(before.get("preexisting", preexisting)),
            "created_dirs": [str(d) for d in step.created_dirs] or before.get("created_dirs", []),
        })
    record = {"version": 1, "platform": layout_.platform, "files": files,
              "installed": _dt.datetime.now().isoformat(timespec="seconds")}
    path = layout_.state_dir / RECORD
    temp = path.with_name(f".{RECORD}.new")
    temp.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temp, path)
    return path


@dataclass
class Removal:
    removed: list[Path]
    restored: list[tuple[Path, Path]]
    kept: list[tuple[Path, Path]]      # changed since the install: moved aside, not deleted
    left: list[Path]                   # there before OrderDesk: left in place


def remove(layout_: Layout, lang: str = "en") -> Removal:
    """Undo the install recorded in the state folder: our files deleted (a file changed since is
    moved to the backup folder instead), the files they replaced restored."""
    record_path = layout_.state_dir / RECORD
    record = _record(layout_)
    if not record.get("files"):
        raise FileError(t("addin.not_installed", lang, record=str(record_path)), file=str(record_path))
    files = record["files"]
    for entry in files:                                      # refuse before changing anything when a file is held
        target = Path(entry["target"])
        if target.exists() and not entry.get("preexisting"):
            try:
                os.replace(target, target)
                with open(target, "r+b"):
                    pass
            except PermissionError as exc:
                raise FileError(t("addin.locked", lang, file=str(target)), file=str(target)) from exc
    out = Removal([], [], [], [])
    aside = layout_.state_dir / "backup" / ("removed-" + _dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    for entry in files:
        target = Path(entry["target"])
        if entry.get("preexisting"):
            out.left.append(target)
            continue
        if target.exists():
            if sha256(target) == entry["sha256"]:
                target.unlink()
                out.removed.append(target)
            else:
                aside.mkdir(parents=True, exist_ok=True)
                moved = aside / f"{entry['kind']}-{target.name}"
                shutil.move(str(target), moved)
                out.kept.append((target, moved))
        backup = entry.get("backup")
        if backup and Path(backup).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(backup, target)
            Path(backup).unlink()
            out.restored.append((target, Path(backup)))
    record_path.unlink()
    backups = layout_.state_dir / "backup"
    _remove_dirs((list(backups.glob("*")) if backups.is_dir() else []) + [backups, layout_.state_dir]
                 + [Path(d) for entry in files for d in entry.get("created_dirs", [])])
    return out


# ---------------------------------------------------------------- status

@dataclass(frozen=True)
class DllCheck:
    """Windows: the xlwings DLL the add-in's VBA declares, where the VBA looks for it and where
    it is. ``XLPyLoadDLL`` calls ``LoadLibrary`` on the folder of the configured interpreter, then
    on its parent (a plain install, a virtual environment); with no interpreter configured
    (``pythonw``) it loads nothing itself and Windows searches its DLL path (PATH) for the name
    the ``Declare`` statements give."""
    name: str
    python: str                 # PYTHON_WIN as the VBA computes it
    looked_in: tuple[Path, ...]
    found: tuple[Path, ...]
    search_path: bool = False   # looked_in is PATH, not the interpreter's folders

    @property
    def ok(self) -> bool:
        return any((d / self.name).is_file() for d in self.looked_in)

    @property
    def folder(self) -> Path | None:
        return next((d for d in self.looked_in if (d / self.name).is_file()), None)


def xlwings_dlls() -> list[Path]:
    """The xlwings DLLs the installed xlwings package put on disk (from its RECORD): a per-user
    install (pip --user) puts them under %APPDATA%\\Python, not beside python.exe."""
    from importlib import metadata
    try:
        dist = metadata.distribution("xlwings")
    except metadata.PackageNotFoundError:
        return []
    return sorted(Path(dist.locate_file(f)).resolve() for f in (dist.files or [])
                  if re.fullmatch(r"xlwings(32|64)-[0-9.]+\.dll", Path(str(f)).name))


def windows_parent(path: str) -> str:
    """VBA's ParentFolder: the text before the last backslash."""
    return path.rsplit("\\", 1)[0] if "\\" in path else path.rsplit("/", 1)[0] if "/" in path else ""


def expand_windows(text: str, env: dict[str, str]) -> str:
    """``%NAME%`` replaced as Windows' ExpandEnvironmentStrings does (GetConfig applies it to every
    value): names case-insensitive, an undefined one left as written."""
    upper = {k.upper(): v for k, v in env.items()}
    return re.sub(r"%([^%]+)%", lambda m: upper.get(m.group(1).upper(), m.group(0)), text)


def vba_python(config: dict[str, str], env: dict[str, str]) -> tuple[str, bool]:
    """(PYTHON_WIN, whether the VBA loads the DLL from its folders) as ``XLPyLoadDLL`` computes them
    from the config: INTERPRETER_WIN, else INTERPRETER, else ``pythonw``; with CONDA PATH and
    CONDA ENV a bare python(w) is placed in that environment."""
    def get(key: str) -> str:
        return expand_windows(config.get(key, ""), env)
    python = get("INTERPRETER_WIN") or get("INTERPRETER") or "pythonw"
    conda_path, conda_env = get("CONDA PATH"), get("CONDA ENV")
    conda = bool(conda_path and conda_env)
    if python in ("python", "pythonw") and conda:
        if conda_env == "base":
            python = f"{conda_path}\\{python}"
        elif "\\" in conda_env:
            python = f"{conda_env}\\{python}"
        else:
            python = f"{conda_path}\\envs\\{conda_env}\\{python}"
    return python, python not in ("python", "pythonw") or conda


def check_dll(interpreter: str, version: str, found: list[Path], bits: int = 64, *,
              config: dict[str, str] | None = None, env: dict[str, str] | None = None,
              name: str | None = None) -> DllCheck:
    """Where the VBA looks for ``name`` (default ``xlwings<bits>-<version>.dll``) given the add-in's
    config (default: ``interpreter`` as INTERPRETER_WIN) and the environment (for %VARS% and PATH)."""
    name = name or f"xlwings{bits}-{version}.dll"
    env = dict(os.environ) if env is None else env
    python, loads = vba_python(config if config is not None else {"INTERPRETER_WIN": interpreter}, env)
    if loads:
        first = windows_parent(python)
        looked = tuple(Path(p) for p in (first, windows_parent(first)) if p)
    else:
        path = next((v for k, v in env.items() if k.upper() == "PATH"), "")
        looked = tuple(Path(p) for p in path.split(";") if p)   # Windows' PATH, wherever this runs
    return DllCheck(name, python, looked, tuple(p for p in found if p.name == name), search_path=not loads)


def office_bits() -> int:
    """64 or 32: the Excel (Click-to-Run Office) of this Windows, from the registry; 64 when it
    does not say (Office's default since 2019)."""
    try:
        import winreg
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Office\ClickToRun\Configuration") as key:
            platform = str(winreg.QueryValueEx(key, "Platform")[0]).lower()
    except (ImportError, OSError):
        return 64
    return 32 if platform == "x86" else 64
