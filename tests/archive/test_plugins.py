"""The Datasette plugins as installed entry points, and what they may touch.

Installed through the `datasette` entry point, our plugins load in every Datasette of the
environment, next to other people's databases: the search plugin must change search only
in a nianbao archive.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
import tomllib
import urllib.parse

import pytest
from sqlite_utils import Database

from nianbao.archive import search, serve


def test_every_plugin_module_is_a_datasette_entry_point(h):
    """One line per module of datasette/plugins/ in pyproject.toml; a new plugin without it
    would silently not load."""
    pyproject = tomllib.loads((h.REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = pyproject["project"]["entry-points"]["datasette"]
    modules = sorted(p.stem for p in (h.REPO / "datasette" / "plugins").glob("*.py"))
    assert modules, "datasette/plugins/ has plugin modules"
    assert declared == {m: f"nianbao.site.plugins.{m}" for m in modules}


def test_the_configuration_folder_is_never_a_package(h):
    """An __init__.py under datasette/ would make `import datasette` find the checkout's
    folder instead of the library whenever the checkout is on sys.path."""
    assert not list((h.REPO / "datasette").rglob("__init__.py"))
    assert (h.REPO / "nianbao" / "site").resolve() == (h.REPO / "datasette").resolve()


def _other_database(path) -> None:
    """Somebody else's database with Datasette's usual FTS (sqlite-utils, words, porter)."""
    db = Database(path)
    db["notes"].insert_all(
        [{"id": 1, "body": "hello world"}, {"id": 2, "body": "goodbye moon"},
         {"id": 3, "body": "hello again"}], pk="id")
    db["notes"].enable_fts(["body"], tokenize="porter")
    db["documents"].insert({"id": 1, "sha256": "ab" * 32}, pk="id")  # our column names, not ours
    db.close()


def test_only_a_nianbao_archive_is_recognised(h, tmp_path):
    archive = h.build_archive(tmp_path / "archive.db")
    assert search.is_bigram_archive(archive.conn)
    archive.close()
    _other_database(tmp_path / "other.db")
    assert not search.is_bigram_archive(sqlite3.connect(tmp_path / "other.db"))
    assert not search.is_bigram_archive(sqlite3.connect(":memory:"))
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert not search.is_bigram_archive(sqlite3.connect(tmp_path / "junk.db"))


def _search(h, base: str, path: str, term: str) -> set:
    status, _, body = h.http_get(f"{base}{path}?_search={urllib.parse.quote(term)}&_shape=array&_size=max")
    assert status == 200, body[:500]
    return {r["id"] for r in json.loads(body)}


@pytest.fixture
def two_databases(h, tmp_path):
    """One Datasette serving our archive and somebody else's database side by side."""
    h.build_archive(tmp_path / "archive.db").close()
    _other_database(tmp_path / "other.db")
    port = h.free_port()
    argv = serve.datasette_args(tmp_path / "archive.db", port=port)
    argv.insert(argv.index("serve") + 1, str(tmp_path / "other.db"))
    log = (tmp_path / "datasette.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while h.http_get_or_none(base + "/-/versions.json") is None:
            assert proc.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "datasette.log").read_text()
            time.sleep(0.2)
        yield base, tmp_path
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_plugins_leave_other_databases_alone(h, two_databases):
    base, tmp = two_databases
    assert _search(h, base, "/other/notes.json", "hello") == {1, 3}
    assert _search(h, base, "/other/notes.json", "moon") == {2}
    status, _, page = h.http_get(base + "/other/documents")
    assert status == 200 and "ab" * 32 in page.decode() and "/-/nianbao/capture/" not in page.decode()
    report_sha = sqlite3.connect(tmp / "archive.db").execute("select sha256 from reports").fetchone()[0]
    status, _, page = h.http_get(base + "/archive/reports")
    assert f'href="/-/nianbao/capture/{report_sha}"' in page.decode()
    like = {i for (i,) in sqlite3.connect(tmp / "archive.db").execute(
        "select id from sections where text like '%复议%'")}
    assert like and _search(h, base, "/archive/sections.json", "复议") == like


def test_canned_queries_only_for_a_nianbao_archive_named_archive(h, tmp_path):
    """datasette/queries.yaml belongs to the archive: somebody else's database that happens to
    be called archive gets none of its queries, our archive gets all of them."""
    import asyncio

    import yaml
    from datasette.app import Datasette

    from nianbao.resources import site_dir

    (tmp_path / "theirs").mkdir()
    _other_database(tmp_path / "theirs" / "archive.db")
    h.build_archive(tmp_path / "archive.db").close()
    written = set(yaml.safe_load((site_dir() / "queries.yaml").read_text(encoding="utf-8")))

    async def listed(path) -> set[str]:
        ds = Datasette([str(path)])
        await ds.invoke_startup()
        data = (await ds.client.get("/archive.json")).json()
        return {q["name"] for q in data["queries"]}

    assert asyncio.run(listed(tmp_path / "theirs" / "archive.db")) == set()
    assert asyncio.run(listed(tmp_path / "archive.db")) == written
