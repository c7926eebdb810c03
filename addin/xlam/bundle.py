"""The files the package carries for Excel: the built add-in, the templates and the VBA sources.

In a wheel they sit in ``addin/bundled/`` with a ``manifest.json`` (sha256 and size of each
file), written at build time by ``setup.py`` (:func:`write_bundle`); in a source checkout they are
``workbook_templates/`` and ``macros/`` themselves (no manifest: the developer tests check those).
Paths are the same in both: ``workbook_templates/OrderDesk.xlam``, ``macros/generated/...``.

Standard library only: ``setup.py`` imports this module while building the wheel.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
BUNDLE_DIR = PACKAGE_DIR / "bundled"
CHECKOUT = PACKAGE_DIR.parent
MANIFEST = "manifest.json"
ADDIN_FILE = "workbook_templates/OrderDesk.xlam"
# (folder, patterns): what goes into the wheel
SOURCES = (("workbook_templates", ("*.xlam", "*.xlsm", "*.xlsx")),
           ("macros", ("*.bas", "*.xml")),
           ("macros/generated", ("*.bas",)))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def collect(root: Path) -> dict[str, Path]:
    """The bundled files under ``root`` by their relative path (backups and Excel lock files left out)."""
    found = {}
    for folder, patterns in SOURCES:
        for pattern in patterns:
            for path in sorted((root / folder).glob(pattern)):
                if path.is_file() and ".bak." not in path.name and not path.name.startswith("~$"):
                    found[f"{folder}/{path.name}"] = path
    return dict(sorted(found.items()))


def write_bundle(root: Path, target: Path) -> dict:
    """Copy the bundled files of the checkout ``root`` into ``target`` with their manifest;
    returns the manifest. Refuses a checkout without the built add-in."""
    files = collect(root)
    if ADDIN_FILE not in files:
        raise FileNotFoundError(f"{root / ADDIN_FILE} is missing: run `orderdesk addin build` before building the wheel")
    if target.exists():
        shutil.rmtree(target)
    manifest = {"format": 1, "files": {}}
    for rel, path in files.items():
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        manifest["files"][rel] = {"sha256": sha256(out), "size": out.stat().st_size}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


@dataclass(frozen=True)
class Bundle:
    """Where the carried files are: ``origin`` is ``package`` (a wheel install, with a manifest)
    or ``checkout`` (a source tree, no manifest)."""
    root: Path
    origin: str
    manifest: dict | None

    def path(self, rel: str) -> Path:
        return self.root / rel

    def mismatches(self, rels: list[str]) -> list[tuple[str, str, str]]:
        """(file, found, expected) for each of ``rels`` whose sha256 differs from the manifest
        (``found`` is "missing" for a missing file). Empty without a manifest."""
        if self.manifest is None:
            return [(rel, "missing", "") for rel in rels if not self.path(rel).is_file()]
        out = []
        for rel in rels:
            entry = self.manifest["files"].get(rel)
            path = self.path(rel)
            if entry is None or not path.is_file():
                out.append((rel, "missing", entry["sha256"] if entry else "not in the manifest"))
            elif sha256(path) != entry["sha256"]:
                out.append((rel, sha256(path), entry["sha256"]))
        return out


def locate(bundle_dir: Path = BUNDLE_DIR, checkout: Path = CHECKOUT) -> Bundle | None:
    """The package's bundle, else the source checkout's files, else None."""
    manifest_path = bundle_dir / MANIFEST
    if manifest_path.is_file():
        return Bundle(bundle_dir, "package", json.loads(manifest_path.read_text(encoding="utf-8")))
    if (checkout / ADDIN_FILE).is_file() and (checkout / "macros").is_dir():
        return Bundle(checkout, "checkout", None)
    return None
