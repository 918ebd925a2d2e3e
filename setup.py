"""Build: the repository's top-level folders become the sub-packages of one import package.

Installed, everything lives under ``videotheque`` (``videotheque.domain``,
``videotheque.commands``, ...), never as generic top-level names that other distributions
use too. Sub-packages and their data files (SQL, templates, demo data) are discovered
here, never listed by hand: a new folder with an ``__init__.py`` is in the next wheel.
Everything else (name, version, dependencies, scripts) is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import find_packages, setup

TOP = "videotheque"
FOLDERS = ("domain", "projections", "commands", "reports")  # the layout the design fixes
TOP_FOLDER = "commands/toplevel"  # videotheque/__init__.py and __main__.py
DATA_SUFFIXES = {".sql", ".j2", ".json", ".toml", ".nfo", ".txt", ".csv", ".typed"}


def _packages() -> dict[str, str]:
    found = find_packages(include=[f"{f}" for f in FOLDERS] + [f"{f}.*" for f in FOLDERS])
    dirs = {f"{TOP}.{name}": name.replace(".", "/") for name in found}
    dirs.pop(f"{TOP}.{TOP_FOLDER.replace('/', '.')}", None)
    return {TOP: TOP_FOLDER, **dirs}


def _data(package_dirs: dict[str, str]) -> dict[str, list[str]]:
    """Every data file below a package's folder that no sub-package holds."""
    owned = set(package_dirs.values())
    data: dict[str, list[str]] = {}
    for name, folder in package_dirs.items():
        base = Path(folder)
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.suffix not in DATA_SUFFIXES:
                continue
            parent = path.parent
            while parent != base and parent.as_posix() not in owned:
                parent = parent.parent
            if parent == base:
                data.setdefault(name, []).append(path.relative_to(base).as_posix())
    return data


PACKAGE_DIRS = _packages()
setup(
    packages=sorted(PACKAGE_DIRS),
    package_dir=PACKAGE_DIRS,
    package_data=_data(PACKAGE_DIRS),
)
