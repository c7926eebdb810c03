"""`orderdesk addin build | generate | install | remove | status | templates` (SPEC section 7).

``build`` and ``generate`` are developer tools (they read ``macros/`` of a source checkout and
refuse stale generated VBA); ``install``, ``remove``, ``status`` and ``templates`` are for users:
they work from the files the installed package carries (addin/xlam/bundle.py) and never look at
whether the developer's generated VBA is up to date.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from addin.commands.common import default_lang, lang_option
from addin.xlam import install as inst
from addin.xlam.install import config_lines  # noqa: F401  (tests and older callers import it from here)

TEMPLATE_FILES = ("OrderLedger.xlsm", "ContractReview.xlsm", "template_ledger_zh.xlsx", "template_ledger_en.xlsx")


@click.group("addin")
def addin() -> None:
    """Build, install, remove or inspect the Excel add-in (OrderDesk.xlam).

    \b
    Example:
      orderdesk addin install
      orderdesk addin status
      orderdesk addin remove
      orderdesk addin build --out dist     (developers: from macros/)"""


@addin.command("build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write into (default: workbook_templates/).")
@lang_option
def build_cmd(out_dir: Path | None, lang: str | None) -> None:
    """Write OrderDesk.xlam, OrderLedger.xlsm and ContractReview.xlsm from macros/ (reproducible)."""
    from addin.xlam.build import build
    for path in build(out_dir, lang=lang or default_lang()):
        click.echo(str(path))


@addin.command("generate")
@lang_option
def generate_cmd(lang: str | None) -> None:
    """Regenerate macros/generated (the UDF wrappers, by xlwings' own generator)."""
    from addin.xlam.build import write_generated
    lang = lang or default_lang()
    changed = write_generated()
    for path in changed:
        click.echo(inst_text("addin.generated_updated", lang, file=path))
    if not changed:
        click.echo(inst_text("addin.generated_current", lang))


def _require_excel(lang: str) -> None:
    platform = inst.current_platform()
    if platform not in ("windows", "macos"):
        click.echo(inst_text("addin.no_excel", lang, platform=platform), err=True)
        raise click.exceptions.Exit(2)


def inst_text(key: str, lang: str, **fields: object) -> str:
    from addin.i18n import t
    return t(key, lang, **fields)


@addin.command("install")
@lang_option
def install_cmd(lang: str | None) -> None:
    """Copy OrderDesk.xlam where Excel loads add-ins at start and write the add-in's own xlwings
    config (OrderDesk.conf: this Python, the UDF module); on macOS also xlwings' AppleScript.
    Checked first, all or nothing, replaced files backed up; your ~/.xlwings/xlwings.conf is
    never touched. Exit status 2 where there is no Excel (Linux)."""
    lang = lang or default_lang()
    _require_excel(lang)
    layout = inst.layout()
    outcome = inst.install(layout, lang, encoding=inst.config_encoding(layout.platform))
    for path in outcome.written:
        click.echo(inst_text("addin.installed", lang, file=path))
    for path in outcome.unchanged:
        click.echo(inst_text("addin.unchanged", lang, file=path))
    for path, backup in outcome.backups:
        click.echo(inst_text("addin.backed_up", lang, file=path, backup=backup))
    click.echo(inst_text("addin.config_written", lang, file=layout.config_file, encoding=outcome.encoding,
                         xlwings_conf=layout.xlwings_conf))
    click.echo(inst_text("addin.restart", lang))


@addin.command("remove")
@lang_option
def remove_cmd(lang: str | None) -> None:
    """Undo `orderdesk addin install`: delete what it installed and restore the files it replaced."""
    lang = lang or default_lang()
    _require_excel(lang)
    done = inst.remove(inst.layout(), lang)
    for path in done.removed:
        click.echo(inst_text("addin.removed", lang, file=path))
    for path, backup in done.restored:
        click.echo(inst_text("addin.restored", lang, file=path, backup=backup))
    for path, moved in done.kept:
        click.echo(inst_text("addin.moved_aside", lang, file=path, backup=moved))
    for path in done.left:
        click.echo(inst_text("addin.left", lang, file=path))


@addin.command("templates")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to copy the templates into (created if missing).")
@lang_option
def templates_cmd(out_dir: Path, lang: str | None) -> None:
    """Copy the workbook templates the package carries (order ledger, contract review) into a folder."""
    import shutil
    from addin.errors import FileError
    lang = lang or default_lang()
    bundle = inst.package_bundle(lang)
    rels = [f"workbook_templates/{name}" for name in TEMPLATE_FILES]
    inst.check_bundle(bundle, rels, lang)
    for name in TEMPLATE_FILES:
        if (out_dir / name).exists():
            raise FileError(inst_text("addin.template_exists", lang, file=out_dir / name), file=str(out_dir / name))
    out_dir.mkdir(parents=True, exist_ok=True)
    for rel, name in zip(rels, TEMPLATE_FILES):
        shutil.copyfile(bundle.path(rel), out_dir / name)
        click.echo(inst_text("addin.templates_copied", lang, file=out_dir / name))


def status_lines(layout: inst.Layout | None, lang: str) -> list[str]:
    """What `orderdesk addin status` prints: the package's add-in (checked), and with a layout the
    installed files, the config, the xlwings DLL (Windows) or AppleScript (macOS)."""
    from addin.xlam.bundle import ADDIN_FILE
    bundle = inst.package_bundle(lang)
    inst.check_bundle(bundle, [ADDIN_FILE], lang)
    source = bundle.path(ADDIN_FILE)
    facts = inst.check_addin(source, lang)
    lines = [inst_text("addin.status.package", lang, file=source,
                       origin=inst_text(f"addin.status.origin.{bundle.origin}", lang), project=facts.project_name_const,
                       xlwings=facts.xlwings,
                       manifest=inst_text("addin.status.manifest_ok", lang) if bundle.manifest else "")]
    lines.append(inst_text("addin.status.templates", lang, folder=source.parent))
    if layout is None:
        return lines
    target = layout.addin_dir / inst.ADDIN_NAME
    state = ("missing" if not target.is_file()
             else "current" if target.read_bytes() == source.read_bytes() else "other")
    lines.append(inst_text("addin.status.addin", lang, file=target, state=inst_text(f"addin.status.state.{state}", lang)))
    config: dict[str, str] = {}
    if layout.config_file.is_file():
        encoding = inst.config_encoding(layout.platform)
        text = layout.config_file.read_bytes().decode(encoding, errors="replace")
        lines.append(inst_text("addin.status.config", lang, file=layout.config_file,
                               state=inst_text("addin.status.config.present", lang, encoding=encoding)))
        lines += [f"    {line}" for line in text.splitlines() if line.strip()]
        key = "INTERPRETER_WIN" if layout.platform == "windows" else "INTERPRETER_MAC"
        config = inst.parse_config(text)
        configured = config.get(key)
        if configured and configured != sys.executable:
            lines.append(inst_text("addin.status.config.other_python", lang, configured=configured,
                                   current=sys.executable))
    else:
        lines.append(inst_text("addin.status.config", lang, file=layout.config_file,
                               state=inst_text("addin.status.config.missing", lang)))
    if layout.platform == "windows":
        lines.append(dll_line(facts, config, lang))
    else:
        script = layout.script_dir / (facts.applescript or inst.applescript_source().name)
        key = "addin.status.script_ok" if script.is_file() else "addin.status.script_missing"
        lines.append(inst_text(key, lang, file=script))
    lines.append(inst_text("addin.status.xlwings_conf", lang, file=layout.xlwings_conf))
    if layout.xlwings_conf.is_file():
        theirs = layout.xlwings_conf.read_bytes().decode("utf-8", errors="replace")
        if inst.UDF_MODULE in theirs:
            keys = ", ".join(f'"{k}"' for k, v in inst.parse_config(theirs).items() if v == inst.UDF_MODULE)
            lines.append(inst_text("addin.status.xlwings_conf_old", lang, file=layout.xlwings_conf, keys=keys))
    lines.append(inst_text("addin.status.python", lang, path=sys.executable))
    return lines


def dll_line(facts: inst.AddinFacts, config: dict[str, str], lang: str, env: dict[str, str] | None = None) -> str:
    """Where the xlwings DLL the add-in's VBA declares (for this Excel's bitness) is, against where
    the VBA looks for it with this config (see :class:`addin.xlam.install.DllCheck`)."""
    name = facts.dll(inst.office_bits())
    check = inst.check_dll("", facts.xlwings or "", inst.xlwings_dlls(), config=config, env=env, name=name)
    if check.search_path:
        if check.ok:
            return inst_text("addin.status.dll_path_ok", lang, name=check.name, folder=check.folder)
        return inst_text("addin.status.dll_path_missing", lang, name=check.name, python=check.python,
                         found=check.found[0] if check.found else "-")
    looked = " / ".join(str(p) for p in check.looked_in)
    if check.ok:
        return inst_text("addin.status.dll_ok", lang, name=check.name, folder=check.folder)
    if check.found and "windowsapps" in check.python.replace("\\", "/").lower().split("/"):
        # the Microsoft Store Python: its folder cannot be written, so copying the DLL is no fix
        return inst_text("addin.status.dll_store", lang, name=check.name, found=check.found[0], looked=looked)
    if check.found:
        return inst_text("addin.status.dll_elsewhere", lang, name=check.name, found=check.found[0],
                         looked=looked, first=check.looked_in[0] if check.looked_in else check.python)
    return inst_text("addin.status.dll_missing", lang, name=check.name, looked=looked or check.python,
                     version=facts.xlwings)


@addin.command("status")
@lang_option
def status_cmd(lang: str | None) -> None:
    """Check the package's add-in and show what is installed: the add-in, its config, the xlwings
    DLL where the add-in's VBA looks for it (Windows) or xlwings' AppleScript (macOS), and whether
    your own xlwings.conf still holds lines an older OrderDesk wrote."""
    lang = lang or default_lang()
    supported = inst.current_platform() in ("windows", "macos")
    for line in status_lines(inst.layout() if supported else None, lang):
        click.echo(line)
    _require_excel(lang)
