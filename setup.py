"""Packaging hook (the project is configured in pyproject.toml): the wheel also carries the built
add-in, the templates and the VBA sources under ``addin/bundled/`` with a manifest of their
sha256 (addin/xlam/bundle.py), so that ``orderdesk addin install`` works after a plain
``pip install``. An editable install reads them from the checkout instead."""
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithAddin(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        sys.path.insert(0, str(HERE))
        try:
            from addin.xlam.bundle import write_bundle
        finally:
            sys.path.remove(str(HERE))
        write_bundle(HERE, Path(self.build_lib) / "addin" / "bundled")


setup(cmdclass={"build_py": BuildPyWithAddin})
