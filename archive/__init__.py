"""The archive: the SQLite file (archive.db) that Datasette publishes; the only code that writes SQL.

- schema.py: tables, indexes, search indexes, numbered migrations (PRAGMA user_version).
- load.py:   open_archive, load_report (one transaction per report), known_sha256.
- search.py: substring search of Chinese text as FTS5 phrases of character bigrams.
- serve.py:  datasette_args / serve, with the datasette/ configuration shipped as nianbao/site.
- agencies.py: one canonical name per agency, its aliases; canonical(db, name).
- versions.py: every reading of a report (report_versions) and the cells that changed.
- layout.py: the template tables as printed and failing checks told in Chinese (no SQL).
- figures.py: the key figures view (report_figures) that pages and queries share.
- pages.py, charts.py, export.py: read-only data of the report/agency/comparison pages,
  their SVG charts (pygal), and formula-safe CSV/xlsx downloads.
- transaction.py: build_transaction: a whole build in one transaction on the WAL-mode file,
  so the served archive is the old one or the new one.
"""
