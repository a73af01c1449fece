"""Files shipped with the package, found one way: :mod:`importlib.resources`.

``priors/`` at the top of the repository (TOML prior and scenario specs) is mapped into the
package as ``forecast._priors`` (``[tool.setuptools] package-dir`` in ``pyproject.toml``), so a
wheel carries the files and an editable install reads the repository's own copies. Curated data
extracts live in ``forecast/curated/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The importable name under which the top-level ``priors/`` folder is installed.
PRIORS_PACKAGE = "forecast._priors"


def priors_path(name: str) -> Path:
    """Path of a packaged prior or scenario file, e.g. ``priors_path("trends.toml")``."""
    return Path(str(resources.files(PRIORS_PACKAGE).joinpath(name)))


def data_path(name: str) -> Path:
    """Path of a packaged data file, e.g. ``data_path("extract.csv")``."""
    return Path(str(resources.files("forecast").joinpath("curated", name)))


__all__ = ["PRIORS_PACKAGE", "data_path", "priors_path"]
