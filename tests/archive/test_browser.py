"""A journalist's path through the archive in headless Chromium: search, open, facet, download."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def page():
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(20_000)
        yield pg
        context.close()
        browser.close()


def test_search_open_facet_and_download(page, served, tmp_path):
    term = "复议"
    con = sqlite3.connect(served.db_path)
    expected = [str(i) for (i,) in con.execute(
        "select id from sections where text like ? order by id", [f"%{term}%"])]
    assert expected

    page.goto(served.base + "/archive/sections")
    page.fill("input#_search", term)
    page.press("input#_search", "Enter")
    page.wait_for_url("**_search=*")
    shown = page.locator("table.rows-and-columns tbody td.col-id").all_inner_texts()
    assert [s.strip() for s in shown] == expected

    # open the report of the first hit through its foreign-key link
    page.locator("table.rows-and-columns tbody tr").first.locator("td.col-report_id a").click()
    page.wait_for_url("**/archive/reports/*")
    report_id = page.url.rsplit("/", 1)[-1]
    title = con.execute("select title from reports where id = ?", [report_id]).fetchone()[0]
    assert title in page.content()
    assert page.locator('a[href^="/-/nianbao/capture/"]').count() >= 1

    # the status facet on the reports table
    page.goto(served.base + "/archive/reports")
    page.locator("#facet-status a", has_text="flagged").first.click()
    page.wait_for_url("**status=flagged*")
    flagged = con.execute("select count(*) from reports where status = 'flagged'").fetchone()[0]
    assert page.locator("table.rows-and-columns tbody tr").count() == flagged

    # the Excel-ready CSV of the search results
    page.goto(served.base + "/archive/sections?_search=" + term)
    with page.expect_download() as info:
        page.locator("p.export-links a", has_text="csvbom").click()
    path = tmp_path / "sections.csv"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == expected
    assert info.value.suggested_filename == "sections.csv"
