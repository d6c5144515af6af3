"""Files that ship inside the package, found through importlib.resources.

The Datasette configuration (nianbao/site -> datasette/) and the sample portal
(nianbao/sample_portal -> demo/portal/) are package data: an installed nianbao finds them
next to its modules, never by the layout of a checkout. Datasette and the portal's HTTP
server need real directories, so a resource must be a file on disk; pip always installs
a wheel as files, and a zipped install is refused with a message instead of half working.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def path(*parts: str) -> Path:
    """The file or directory `nianbao/<parts...>` of the installed package, on disk."""
    resource = files("nianbao").joinpath(*parts)
    if not isinstance(resource, Path):
        raise RuntimeError(
            f"nianbao/{'/'.join(parts)} is not a file on disk ({type(resource).__name__}): "
            "install nianbao unzipped (pip install does)"
        )
    return resource


def site_dir() -> Path:
    """The Datasette configuration directory: metadata.yaml, queries.yaml, templates/, plugins/."""
    return path("site")


def sample_portal_dir() -> Path:
    """The bundled sample portal served by `nianbao demo`."""
    return path("sample_portal")
