"""The built package works where no checkout is: wheel and sdist, installed into a new venv.

`python -m build` makes the sdist and then the wheel *from the sdist*, so both are tested.
The wheel is installed into a fresh virtual environment in a temporary directory without
network (`--no-deps --no-index`); its dependencies come from this test's own environment
through a plain path in a .pth file. A path line in a .pth file does not process that
directory's own .pth files, so the editable install of the checkout is not picked up: the
test asserts that `nianbao` is imported from the new venv. Then, from a directory outside
the repository, `nianbao demo --no-serve` crawls the bundled portal and `nianbao serve`
publishes the result with the installed configuration and entry-point plugins.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from e2e_support import REPO, assert_search_equals_like, free_port, get_json, stop, wait_http

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    """A clean environment: nothing pointing into the checkout or this venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=timeout)


# What a fresh clone would not have: the build must not depend on it (a stale
# nianbao.egg-info/SOURCES.txt, for one, would add files the configuration forgot).
_NOT_IN_A_CLONE = shutil.ignore_patterns(".git", ".venv", "data", "build", "dist", "*.egg-info",
                                         "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache")


def _lend_dependencies(python: Path, cwd: Path) -> None:
    """Make this environment's packages importable in a new venv through a .pth (no index here)."""
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=cwd).stdout.strip()
    (Path(purelib) / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path | str]:
    """sdist and wheel of a clean copy of the checkout, and the output of the build."""
    tmp = tmp_path_factory.mktemp("dist")
    source, out = tmp / "source", tmp / "out"
    shutil.copytree(REPO, source, symlinks=True, ignore=_NOT_IN_A_CLONE)
    p = _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, source], cwd=tmp)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    (wheel,) = out.glob("nianbao-*.whl")
    (sdist,) = out.glob("nianbao-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist, "log": p.stdout + p.stderr}


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory) -> Path:
    """A new venv holding the wheel; dependencies from this environment through a .pth."""
    root = tmp_path_factory.mktemp("venv")
    env_dir = root / "venv"
    p = _run([sys.executable, "-m", "venv", "--without-pip", env_dir], cwd=root)
    assert p.returncode == 0, p.stderr
    python = env_dir / "bin" / "python"
    p = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
              "--no-cache-dir", built["wheel"]], cwd=root)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    # (pip's own notes about this machine's package indexes are not ours)
    ours = [line for line in (p.stdout + p.stderr).splitlines()
            if "warn" in line.lower() and "Location 'file:" not in line]
    assert not ours, "installing the wheel warned:\n" + "\n".join(ours)
    _lend_dependencies(python, root)
    return env_dir


def test_build_prints_no_warning_from_the_project(built):
    """No deprecation or packaging warning (license table, data folders absent from packages...)."""
    lines = [line for line in str(built["log"]).splitlines() if "warn" in line.lower()]
    assert not lines, "\n".join(lines)


def test_editable_install_prints_no_warning_from_the_project(built, tmp_path):
    """`make install` is an editable install: setuptools must not warn about our layout (its
    import-finder strategy warns at every install about folders named like the package)."""
    source = tmp_path / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=_NOT_IN_A_CLONE)
    env_dir = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", env_dir], cwd=tmp_path).returncode == 0
    _lend_dependencies(env_dir / "bin" / "python", tmp_path)  # setuptools, without build isolation
    p = _run([sys.executable, "-m", "pip", "--python", env_dir / "bin" / "python", "install", "--no-deps",
              "--no-index", "--no-build-isolation", "--no-cache-dir", "-e", source], cwd=tmp_path)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    ours = [line for line in (p.stdout + p.stderr).splitlines()
            if ("warn" in line.lower() or "careful" in line.lower()) and "Location 'file:" not in line]
    assert not ours, "the editable install warned:\n" + "\n".join(ours)


def test_wheel_holds_one_import_package_with_its_data(built):
    import zipfile

    names = set(zipfile.ZipFile(built["wheel"]).namelist())
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"nianbao"}, "no generic top-level import names (parsers, archive, crawler)"
    for required in ("nianbao/py.typed", "nianbao/site/metadata.yaml", "nianbao/site/queries.yaml",
                     "nianbao/site/plugins/nianbao_search.py", "nianbao/site/templates/_nianbao_row.html",
                     "nianbao/sample_portal/zfxxgknb/index.html", "nianbao/sample_portal/robots.txt",
                     "nianbao/crawler/sources.yaml", "nianbao/parsers/__init__.py"):
        assert required in names, f"{required} missing from the wheel"
    assert not any(n.startswith("nianbao/site/") and n.endswith("__init__.py") for n in names), \
        "the Datasette configuration is data, never a package that could be called datasette"
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(built["wheel"]).read(entry_points).decode()
    plugins = sorted(p.stem for p in (REPO / "datasette" / "plugins").glob("*.py"))
    for name in plugins:
        assert f"{name} = nianbao.site.plugins.{name}" in text, f"plugin {name} is not an entry point"


def test_installed_demo_then_serve_search_equals_like(venv, tmp_path):
    """From outside the repository: demo --no-serve, then serve; _search rows == LIKE rows."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    assert REPO not in work.parents
    python, nianbao = venv / "bin" / "python", venv / "bin" / "nianbao"
    probe = _run([python, "-c", (
        "import importlib.metadata as m, importlib.util as u, json, nianbao\n"
        "eps = [e for e in m.entry_points(group='datasette') if e.value.startswith('nianbao.')]\n"
        "print(json.dumps({'nianbao': nianbao.__file__,\n"
        "  'plugins': [e.load().__file__ for e in eps],\n"
        "  'top_level': [n for n in ('parsers', 'archive', 'crawler') if u.find_spec(n)]}))"
    )], cwd=work)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert Path(found["nianbao"]).is_relative_to(venv), found
    modules = list((REPO / "datasette" / "plugins").glob("*.py"))
    assert len(found["plugins"]) == len(modules)
    assert all(Path(f).is_relative_to(venv) for f in found["plugins"])
    assert found["top_level"] == [], "a generic top-level import name leaked into the environment"

    p = _run([nianbao, "demo", "--no-serve", "--db", "archive.db", "--data", "data",
              "--portal-port", str(free_port())], cwd=work)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    db = work / "archive.db"
    assert db.exists()

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([str(nianbao), "serve", "--db", "archive.db", "--port", str(port)],
                            cwd=work, env=_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/archive.json", timeout=120)
        assert_search_equals_like(base, db, "复议")
        plugins = get_json(base + "/-/plugins.json")
        assert len(plugins) == len(modules) and {p["name"] for p in plugins} == {"nianbao"}
        assert "prepare_connection" in {h for p in plugins for h in p["hooks"]}
        meta = get_json(base + "/-/metadata.json")
        assert "archive" in meta["databases"], "the shipped metadata.yaml is served"
        queries = {q["name"] for q in get_json(base + "/archive.json")["queries"]}
        assert "count_sections" in queries, "the shipped queries.yaml is served"
    finally:
        stop(proc)
        log.close()
