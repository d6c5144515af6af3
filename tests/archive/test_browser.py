"""A journalist's path through the archive in headless Chromium: search, open, facet, download.

The walk of the pages writes a screenshot of each page to docs/screenshots/ (README.md shows
them); NIANBAO_SCREENSHOTS=DIR writes them elsewhere.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts")


def _system_fonts() -> bool:
    """Whether fontconfig (or, without fc-list, the usual font folders) knows any font."""
    if shutil.which("fc-list"):
        return bool(subprocess.run(["fc-list"], capture_output=True, text=True).stdout.strip())
    return any(f.suffix.lower() in {".ttf", ".otf", ".ttc", ".pfb", ".woff2"}
               for d in FONT_DIRS for f in Path(d).expanduser().rglob("*"))


def _skip_unless_renders(pg) -> None:
    """Chromium's renderer dies on a machine without any system font (a fresh Debian without
    fonts-*): that is the machine's lack, not the archive's fault, so the walk is skipped with
    the reason instead of failing on a timeout."""
    from playwright.sync_api import Error

    if not _system_fonts():
        pytest.skip(f"{CHROMIUM} cannot render pages without system fonts: install fonts-noto-cjk")
    try:
        pg.set_content("<p>复议</p>", timeout=10_000)
        pg.locator("p").inner_text(timeout=10_000)
    except Error as exc:
        pytest.skip(f"{CHROMIUM} cannot render a page here ({type(exc).__name__}: {exc})")


@pytest.fixture(scope="module")
def page():
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900},
                                      locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(20_000)
        _skip_unless_renders(pg)
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

    # open the report of the first hit through its link: the report page
    page.locator("table.rows-and-columns tbody tr").first.locator("td.col-report_id a").click()
    page.wait_for_url("**/-/nianbao/report/*")
    report_id = page.url.rsplit("/", 1)[-1]
    title = con.execute("select title from reports where id = ?", [report_id]).fetchone()[0]
    assert page.locator("h1").inner_text() == title
    assert page.locator('a[href^="/-/nianbao/capture/"]').count() >= 1
    # its table row leads there too
    page.goto(served.base + f"/archive/reports/{report_id}")
    page.locator("p.nianbao-report-link a").click()
    page.wait_for_url(f"**/-/nianbao/report/{report_id}")

    # the status facet on the reports table
    page.goto(served.base + "/archive/reports")
    page.locator("#facet-status a", has_text="flagged").first.click()
    page.wait_for_url("**status=flagged*")
    flagged = con.execute("select count(*) from reports where status = 'flagged'").fetchone()[0]
    assert page.locator("table.rows-and-columns tbody tr").count() == flagged

    # the Excel-ready CSV of the search results
    page.goto(served.base + "/archive/sections?_search=" + term)
    with page.expect_download() as info:
        page.locator("p.export-links a", has_text="Excel 用 CSV").click()
    path = tmp_path / "sections.csv"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == expected
    assert info.value.suggested_filename == "sections.csv"


SHOTS = Path(os.environ.get("NIANBAO_SCREENSHOTS")
             or Path(__file__).resolve().parents[2] / "docs" / "screenshots")


def _shot(page, name, locator=None):
    SHOTS.mkdir(parents=True, exist_ok=True)
    # the footer's query time changes on every run: hidden, so a re-run writes the same image
    page.add_style_tag(content="footer.ft { visibility: hidden; }")
    if locator is None:
        page.screenshot(path=str(SHOTS / f"{name}.png"))
    else:
        locator.screenshot(path=str(SHOTS / f"{name}.png"))


def test_walk_search_report_agency_chart_and_excel_csv(page, served, tmp_path):
    """search 复议 -> a report -> table 三 with the printed 总计 -> its agency -> the chart -> Excel CSV."""
    con = sqlite3.connect(served.db_path)
    page.goto(served.base + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    _shot(page, "01-front-page")
    page.fill("#start-q", "复议")
    page.press("#start-q", "Enter")
    page.wait_for_url("**/archive/sections?_search=*")
    assert page.locator("h3", has_text="搜索「复议」").count() == 1
    _shot(page, "02-search")
    # the first hit that belongs to a report with tables
    hit = page.locator("table.rows-and-columns tbody td.col-report_id a").first
    hit.click()
    page.wait_for_url("**/-/nianbao/report/*")
    report_id = page.url.rsplit("/", 1)[-1]
    _shot(page, "03-report")
    table3 = page.locator("#table-3")
    total = con.execute("select value from applications where report_id = ? and row = '3.7' "
                        "and applicant = '总计'", [report_id]).fetchone()[0]
    cell = table3.locator('td[data-cell="applications|3.7|总计"]')
    assert cell.is_visible() and cell.inner_text().strip() == str(total)
    assert table3.locator("tbody tr").count() == con.execute(
        "select count(distinct row) from applications where report_id = ?", [report_id]).fetchone()[0]
    _shot(page, "04-report-table-3", page.locator(".with-notes", has=page.locator("#table-3")))
    # follow the agency to its page and see its chart
    agency = con.execute("select agency from reports where id = ?", [report_id]).fetchone()[0]
    page.locator("a.agency-link").click()
    page.wait_for_url("**/-/nianbao/agency/*")
    assert page.locator("h1").inner_text() == agency
    chart = page.locator("#chart-requests svg")
    assert chart.is_visible() and chart.bounding_box()["height"] > 100
    assert page.locator("#chart-requests svg .legends").text_content().count("新收申请") == 1
    _shot(page, "05-agency", page.locator("section.content"))
    # download the Excel CSV of the agency's figures
    with page.expect_download() as info:
        page.locator("a.download-csvbom").click()
    path = tmp_path / "agency.csv"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    years = [y for (y,) in con.execute(
        "select year from reports where agency = ? order by year", [agency])]
    assert [int(r["年度"]) for r in rows] == years
    # and the report page's own Excel CSV: every cell of its tables
    page.goto(served.base + f"/-/nianbao/report/{report_id}")
    with page.expect_download() as info:
        page.locator("a.download-csvbom").click()
    info.value.save_as(tmp_path / "report.csv")
    cells = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text(encoding="utf-8-sig"))))
    count = sum(con.execute(f"select count(*) from {t} where report_id = ?", [report_id]).fetchone()[0]
                for t in ("active_disclosure", "applications", "reviews"))
    assert len(cells) == count > 0


def test_pages_a_journalist_opens_have_screenshots(page, served):
    con = sqlite3.connect(served.db_path)
    flagged = con.execute("select id from reports where status = 'flagged'").fetchone()[0]
    page.goto(served.base + f"/-/nianbao/report/{flagged}")
    failing = page.locator("#table-3 td.failing")
    assert failing.count() > 0 and page.locator("aside.check-notes", has_text="≠").count() == 1
    _shot(page, "06-flagged-report-table-3", page.locator(".with-notes", has=page.locator("#table-3")))
    page.goto(served.base + "/-/nianbao/agencies?q=协作办")
    assert page.locator("table.agencies tbody tr").count() == 1
    _shot(page, "07-agencies")
    page.goto(served.base + "/-/nianbao/compare?year=2020")
    assert page.locator("#chart-ranking svg").is_visible()
    _shot(page, "08-compare", page.locator("section.content"))
    page.goto(served.base + "/archive/reports")
    assert page.locator("table.rows-and-columns tbody tr").first.bounding_box()["height"] < 200
    _shot(page, "09-reports")
    page.goto(served.base + "/archive/failing_checks")
    assert page.locator("table.rows-and-columns tbody td", has_text="≠").count() >= 1
    _shot(page, "10-failing-checks")
