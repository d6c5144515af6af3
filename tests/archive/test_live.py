"""One snapshot per request: a download that spans a build's commit holds the old archive whole.

Datasette streams a table's CSV page by page, one query per page. Here a real Datasette
(in-process, with the installed plugins, five rows a page) streams `sections.csv`; after
the first row the client stops reading, a build commits a new reading of one report
(its sections deleted and written again under new ids), then the client reads on. The
CSV must hold exactly the sections of the archive as it was when the request began —
not the old rows up to the pause and the new ones after — and the next request must see
the new archive. A served archive is also never written through Datasette.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3

import pytest
from datasette.app import Datasette
from faults_record import record_fault

from nianbao.archive import load, transaction


def _section_ids(db) -> list[int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [i for (i,) in conn.execute("select id from sections order by id")]
    finally:
        conn.close()


def _rebuild_one_report(h, db) -> None:
    """A build: the first seed read again with one more section (its sections get new ids)."""
    args = h.seed_load_args(h.SEED_IDS[0])
    report = args["report"]
    report["sections"] = [*report["sections"], {"number": 99, "heading": "十、更正", "text": "更正说明。"}]
    with transaction.build_transaction(db):
        load.load_report(load.open_archive(db), **args)


async def _get(app, path: str, query: str, on_first_chunk=None) -> tuple[int, bytes]:
    """Call the ASGI app as a server would; `on_first_chunk` runs (awaited) after the first
    body chunk, while the app waits to send the rest (a client that stopped reading)."""
    chunks: list[bytes] = []
    status = 0

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status, on_first_chunk
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if on_first_chunk is not None and chunks[-1]:
                pause, on_first_chunk = on_first_chunk, None
                await pause()

    scope = {"type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
             "raw_path": path.encode(), "query_string": query.encode(), "headers": [(b"host", b"localhost")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "root_path": ""}
    await app(scope, receive, send)
    return status, b"".join(chunks)


def test_a_stream_spanning_a_build_holds_the_old_archive_whole(h, tmp_path):
    db = tmp_path / "archive.db"
    h.build_archive(db).close()
    before = _section_ids(db)
    assert len(before) > 10, "a stream of several pages"

    async def main():
        ds = Datasette([str(db)], settings={"max_returned_rows": 5, "default_page_size": 5})
        await ds.invoke_startup()
        app = ds.app()

        async def build_meanwhile():
            await asyncio.to_thread(_rebuild_one_report, h, db)

        status, body = await _get(app, "/archive/sections.csv", "_stream=on&_col=id",
                                  on_first_chunk=build_meanwhile)
        after_status, after = await _get(app, "/archive/sections.csv", "_stream=on&_col=id")
        return status, body, after_status, after

    status, body, after_status, after = asyncio.run(main())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert status == 200 and body.endswith(b"\r\n")
    now = _section_ids(db)
    assert now != before, "the build changed the sections while the stream was paused"
    assert [int(r["id"]) for r in rows] == before, "the paused stream is the archive before the build"
    assert after_status == 200
    assert [int(r["id"]) for r in csv.DictReader(io.StringIO(after.decode("utf-8")))] == now
    record_fault(
        what="a streamed CSV (5 rows a page) paused mid-file while a build rewrote one report's sections",
        limit="one read transaction (WAL snapshot) per request",
        outcome=f"the stream held the {len(before)} sections as they were when it began, none of the new "
                "ones; the next request saw the build",
        lost="nothing",
    )


def test_the_served_archive_is_never_written_through_datasette(h, tmp_path):
    db = tmp_path / "published.db"
    h.build_archive(db).close()

    async def main():
        ds = Datasette([str(db)])
        await ds.invoke_startup()
        archive = ds.get_database("archive")  # renamed: the one archive is published as `archive`
        assert type(archive).__name__ == "LiveArchive" and archive.path == str(db)
        with pytest.raises(sqlite3.OperationalError, match="read-only"):
            await archive.execute_write("delete from reports")
        return (await archive.execute("select count(*) from reports")).first()[0]

    assert asyncio.run(main()) == len(h.SEED_IDS) + 1


def test_other_databases_are_left_as_datasette_opened_them(h, tmp_path):
    h.build_archive(tmp_path / "archive.db").close()
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("create table notes(id integer primary key, body text)")
    conn.commit()
    conn.close()

    async def main():
        ds = Datasette([str(tmp_path / "archive.db")], immutables=[str(other)])
        await ds.invoke_startup()
        notes = ds.get_database("other")
        assert type(notes).__name__ == "Database" and not notes.is_mutable
        big = (await notes.execute("select length(zeroblob(3000000))")).first()[0]
        fts = (await notes.execute("select typeof(fts3_tokenizer('simple'))")).first()[0]
        return big, fts

    assert asyncio.run(main()) == (3000000, "blob"), "no limits on somebody else's database"


def test_schema_answers_are_kept_per_schema_version(h, tmp_path):
    """Datasette's questions about the schema (does the table exist, its columns, its keys) are
    answered once per schema version: the next request for a page asks SQLite none of them
    again, and a build that changes the schema is seen by the next request."""
    db = tmp_path / "archive.db"
    h.build_archive(db).close()

    async def main():
        ds = Datasette([str(db)], settings={"trace_debug": True})
        await ds.invoke_startup()

        async def get(path: str) -> tuple[int, dict]:
            r = await ds.client.get(path)
            return r.status_code, (r.json() if r.status_code == 200 else {})

        first = (await get("/archive/sections.json?_search=%E5%A4%8D%E8%AE%AE&_trace=1"))[1]
        second = (await get("/archive/sections.json?_search=%E5%A4%8D%E8%AE%AE&_trace=1"))[1]
        missing_before = (await get("/archive/notes.json"))[0]
        columns_before = (await get("/archive/sections.json"))[1]["columns"]
        conn = sqlite3.connect(db)
        with conn:  # a build that adds to the schema while the archive is served
            conn.execute("create table notes(id integer primary key, body text)")
            conn.execute("insert into notes(body) values ('新表')")
            conn.execute("alter table sections add column remark text")
        conn.close()
        notes = await get("/archive/notes.json?_shape=array")
        columns_after = (await get("/archive/sections.json"))[1]["columns"]
        return first, second, missing_before, columns_before, notes, columns_after

    first, second, missing_before, columns_before, notes, columns_after = asyncio.run(main())
    assert [r for r in second["rows"]] == first["rows"] and first["rows"]
    assert second["filtered_table_rows_count"] == first["filtered_table_rows_count"] > 0
    assert any("sqlite_master" in sql for sql in traced_sql(first)), "the first request asks the schema"
    assert not any("sqlite_master" in sql for sql in traced_sql(second)), "the second one is answered"
    assert missing_before == 404
    assert notes == (200, [{"id": 1, "body": "新表"}]), "a table made after startup is found"
    assert columns_after == [*columns_before, "remark"], "a column added after startup is shown"


def traced_sql(data: dict) -> list[str]:
    return [t["sql"] for t in data["_trace"]["traces"] if t.get("type") == "sql"]
