"""Benchmarks of the nianbao stages (`make bench`, `python -m bench [--quick]`).

Each benchmark measures a stage against a reference in the same run: parsing against
trafilatura and pdfplumber, the crawler against a bare Scrapy spider, `_search` against
SQL LIKE. Results go to bench/results.json and docs/benchmarks.md.
"""
