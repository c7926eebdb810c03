"""`orderdesk addin build | generate | install | status` (SPEC section 7)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

NO_EXCEL = ("Excel is not available on this system ({platform}): the add-in can be built here "
            "but installed only on Windows or macOS.")


@click.group("addin")
def addin() -> None:
    """Build, install or inspect the Excel add-in (OrderDesk.xlam).

    \b
    Example:
      orderdesk addin build --out dist
      orderdesk addin install"""


@addin.command("build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write into (default: workbook_templates/).")
def build_cmd(out_dir: Path | None) -> None:
    """Write OrderDesk.xlam, OrderLedger.xlsm and ContractReview.xlsm from macros/ (reproducible)."""
    from addin.xlam.build import build
    for path in build(out_dir):
        click.echo(str(path))


@addin.command("generate")
def generate_cmd() -> None:
    """Regenerate macros/generated (the UDF wrappers, by xlwings' own generator)."""
    from addin.xlam.build import write_generated
    changed = write_generated()
    for path in changed:
        click.echo(f"updated {path}")
    if not changed:
        click.echo("macros/generated is up to date")


def _platform() -> str:
    return "windows" if sys.platform.startswith("win") else "macos" if sys.platform == "darwin" else sys.platform


def addin_folder() -> Path:
    """Where Excel loads add-ins from at start: XLSTART (Windows), the sandboxed Excel
    Startup folder (macOS)."""
    if _platform() == "windows":
        return Path(os.environ["APPDATA"]) / "Microsoft" / "Excel" / "XLSTART"
    return Path.home() / "Library" / "Group Containers" / "UBF8T346G9.Office" / "User Content.localized" / "Startup.localized" / "Excel"


def user_config_file() -> Path:
    """xlwings' user config (the add-in reads it after the workbook's xlwings.conf sheet)."""
    import xlwings
    return Path(xlwings.USER_CONFIG_FILE)


def config_lines(existing: str, settings: dict[str, str]) -> str:
    """xlwings.conf lines ("KEY","value"): ours replace same-named keys, others are kept."""
    keys = {k.upper() for k in settings}
    kept = [line for line in existing.splitlines()
            if line.strip() and line.split(",", 1)[0].strip().strip('"').upper() not in keys]
    ours = [f'"{k}","{v}"' for k, v in settings.items()]
    return "\n".join(kept + ours) + "\n"


def install_settings() -> dict[str, str]:
    key = "INTERPRETER_MAC" if _platform() == "macos" else "INTERPRETER_WIN"
    return {key: sys.executable, "UDF Modules": "addin.excel.udfs"}


@addin.command("install")
def install_cmd() -> None:
    """Copy OrderDesk.xlam where Excel loads add-ins at start, and write the Python interpreter
    and UDF module into the xlwings config. Exit status 2 where there is no Excel (Linux)."""
    if _platform() not in ("windows", "macos"):
        click.echo(NO_EXCEL.format(platform=_platform()), err=True)
        raise click.exceptions.Exit(2)
    import shutil
    from addin.xlam.build import ADDIN_NAME, TEMPLATES, build
    from addin.errors import FileError
    source = TEMPLATES / ADDIN_NAME
    if not source.exists():
        build()
    folder = addin_folder()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(source, folder / ADDIN_NAME)
    except PermissionError as exc:
        raise FileError(f"{folder / ADDIN_NAME} is open in Excel — quit Excel and run again",
                        file=str(folder / ADDIN_NAME)) from exc
    config = user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    existing = config.read_text(encoding="utf-8") if config.exists() else ""
    config.write_text(config_lines(existing, install_settings()), encoding="utf-8")
    click.echo(f"Installed {folder / ADDIN_NAME}\nWrote {config}\nRestart Excel: the OrderDesk tab appears on the ribbon.")


@addin.command("status")
def status_cmd() -> None:
    """Show where the add-in is installed, the xlwings versions and the config in use."""
    from addin.xlam.build import ADDIN_NAME, xlwings_version
    if _platform() not in ("windows", "macos"):
        click.echo(NO_EXCEL.format(platform=_platform()), err=True)
        raise click.exceptions.Exit(2)
    target = addin_folder() / ADDIN_NAME
    click.echo(f"add-in:    {target} ({'installed' if target.exists() else 'not installed'})")
    click.echo(f"xlwings:   {xlwings_version()} (the add-in's VBA must declare xlwings64-{xlwings_version()}.dll)")
    config = user_config_file()
    click.echo(f"config:    {config} ({'present' if config.exists() else 'missing'})")
    if config.exists():
        for line in config.read_text(encoding="utf-8").splitlines():
            click.echo(f"           {line}")
    click.echo(f"python:    {sys.executable}")
