"""The archive: the SQLite file (archive.db) that Datasette publishes; the only code that writes SQL.

- schema.py: tables, indexes, search indexes, numbered migrations (PRAGMA user_version).
- load.py:   open_archive, load_report (one transaction per report), known_sha256.
- search.py: substring search of Chinese text as FTS5 phrases of character bigrams.
- serve.py:  datasette_args / serve, with the datasette/ configuration shipped as nianbao/site.
"""
