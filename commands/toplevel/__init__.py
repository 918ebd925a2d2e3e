"""videotheque: keeps a personal video library honest.

This folder is the top of the installed import package. The repository's top-level folders
are its sub-packages (``videotheque.domain``, ``videotheque.projections``,
``videotheque.commands``, ``videotheque.reports``): see ``setup.py``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("videotheque")  # the one place it is written: pyproject.toml
except PackageNotFoundError:  # pragma: no cover - imported from a checkout never installed
    __version__ = "0+unknown"
