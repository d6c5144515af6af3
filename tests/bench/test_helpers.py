"""The benchmark's own machinery: generators, layout, portal server, comparisons, output."""

from __future__ import annotations

import http.client
import re
from collections import Counter

import pytest

from bench import b_archive, b_parse, harness, output, portal, synth_layout, synth_pdf, synth_reports


def test_percentile_nearest_rank():
    xs = list(range(1, 21))
    assert harness.percentile(xs, 50) == 10
    assert harness.percentile(xs, 95) == 19
    assert harness.percentile(reversed(xs), 100) == 20
    with pytest.raises(ValueError):
        harness.percentile([], 50)


@pytest.mark.parametrize("i", [0, 3, 17, 40])  # both templates (years 2019..2024), flagged or not
def test_synthetic_reports_obey_the_template_arithmetic(i):
    r = synth_reports.make_report(i)
    app = {(c["row"], c["applicant"]): c["value"] for c in r["applications"]}
    rows = [row for row, _ in synth_reports.application_rows(r["template"])]
    assert {row for row, _ in app} == set(rows)
    for who in synth_reports.APPLICANTS:
        assert app[("1", who)] + app[("2", who)] == app[("3.7", who)] + app[("4", who)]
        outcome = sum(app[(row, who)] for row in rows if row.startswith("3.") and row != "3.7")
        assert outcome == app[("3.7", who)]
    wrong_totals = [
        row for row in rows if app[(row, "总计")] != sum(app[(row, w)] for w in synth_reports.APPLICANTS)
    ]
    assert (r["status"] == "flagged") == bool(wrong_totals)
    assert len(r["reviews"]) == 15


def test_synthetic_ids_are_distinct():
    keys = {(r["agency"], r["year"]) for r in synth_reports.reports(3000)}
    assert len(keys) == 3000


def test_application_grid_is_rectangular_and_carries_every_number():
    r = synth_reports.make_report(9)
    grid = synth_layout.grid(synth_layout.applications(r))
    assert {len(row) for row in grid} == {10}
    numbers = Counter(c for row in grid[3:] for c in row[3:] if c is not None)
    assert numbers == Counter(c["raw"] for c in r["applications"])


def test_pdfplumber_numbers_match_the_report_they_were_drawn_from():
    r = synth_reports.make_report(21)
    found = b_parse._plumber_numbers(synth_pdf.pdf_bytes(r))
    assert found["applications"] == b_parse._our_numbers(r)["applications"]
    assert found["reviews"] == b_parse._our_numbers(r)["reviews"]
    assert found["active_disclosure"] == b_parse._our_numbers(r)["active_disclosure"]


def test_score_counts_right_and_wrong_cells():
    truth = synth_reports.make_report(5)
    assert b_parse._score(truth, truth)[0] == b_parse._score(truth, truth)[1] > 0
    damaged = {**truth, "applications": [dict(c) for c in truth["applications"]]}
    damaged["applications"][0]["value"] += 1
    right, scored = b_parse._score(damaged, truth)
    assert right == scored - 1


def test_portal_serves_pages_and_answers_conditional_requests():
    site = portal.build(60, distinct_bodies=3)
    assert site.reports and site.notices and site.list_pages >= 2
    first_list = site.files[portal.COLUMN + "index.html"][0].decode()
    assert f'createPageHTML({site.list_pages}, 0, "index", "html")' in first_list
    links = re.findall(r'href="(\./[^"]+)"', first_list)
    assert links and all(re.match(r"\./\d{6}/t\d{8}_\d+\.html", h) for h in links)
    with portal.PortalServer(site) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", portal.COLUMN + "index_1.html")
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200 and body == site.files[portal.COLUMN + "index_1.html"][0]
        etag, modified = r.getheader("ETag"), r.getheader("Last-Modified")
        conn.request("GET", portal.COLUMN + "index_1.html", headers={"If-None-Match": etag})
        r = conn.getresponse()
        assert r.status == 304 and r.read() == b""
        conn.request("GET", portal.COLUMN + "index_1.html", headers={"If-Modified-Since": modified})
        r = conn.getresponse()
        assert r.status == 304 and r.read() == b""
        conn.request("GET", "/nothing.html")
        r = conn.getresponse()
        r.read()
        assert r.status == 404
        assert server.stats == {
            "requests": 4,
            "ok": 1,
            "not_modified": 2,
            "not_found": 1,
            "body_bytes": len(body),
        }


def test_csv_ids_reads_datasette_csv_with_bom():
    body = "\ufeffid,report_id,number\r\n3,a,1\r\n10,b,2\r\n".encode()
    assert b_archive._csv_ids(body) == {3, 10}


def test_markdown_block_replaced_between_markers_only(tmp_path):
    md = tmp_path / "benchmarks.md"
    md.write_text(f"# B\n\nprose before\n\n{output.BEGIN}\nold figures\n{output.END}\n\nprose after\n")
    res = harness.Result("x", "X", ["a"], figures=[harness.Figure("a", 1.5, "s", target="t", met=True)])
    doc = {
        "started": "now",
        "quick": True,
        "seconds": 1.0,
        "results": [res.to_json()],
        "machine": {"cpu": "c", "nproc": 2, "memory": "1G", "os": "os", "python": "3.11", "sqlite": "3"},
    }
    output.write(doc, tmp_path / "results.json", md)
    text = md.read_text()
    assert "prose before" in text and "prose after" in text and "old figures" not in text
    assert "| x | a | 1.50 s |" in text and "Targets met: 1 of 1." in text


def test_missing_figures_are_detected():
    res = harness.Result("x", "X", ["a", "b"], figures=[harness.Figure("a", 1)])
    assert res.missing() == ["b"]
    assert harness.Result("x", "X", ["a"], unavailable="stage not there").missing() == []


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("864098223.91元", "86409.822391"),
        ("620.50 万元", "620.5"),
        ("22（其中修订16件）", "22"),
        ("+253", "253"),
        ("-15", "-15"),
        ("5949.088667", "5949.088667"),
        ("（一）", None),
        ("", None),
        (None, None),
    ],
)
def test_reference_numbers_read_as_the_contract_reads_them(cell, number):
    assert b_parse._number_text(cell) == number


def test_seed_section_lengths_are_the_seeds_as_parsed():
    from nianbao import parsers

    lengths: dict[int, list[int]] = {}
    for path in sorted(harness.SEEDS.glob("*.txt")):
        report = parsers.parse_bytes(path.read_bytes(), path.name)
        for s in report["sections"]:
            lengths.setdefault(s["number"], []).append(len(s["text"] or ""))
    import statistics

    narrative = {n: v for n, v in lengths.items() if any(v)}
    assert set(narrative) == set(synth_reports.SEED_SECTION_CHARS)
    for n, seeds in narrative.items():  # as measured then; the parser may refine a few characters
        ours = synth_reports.SEED_SECTION_CHARS[n]
        assert statistics.mean(ours) == pytest.approx(statistics.mean(seeds), rel=0.05), n
        assert statistics.pstdev(ours) == pytest.approx(statistics.pstdev(seeds), rel=0.1), n
    assert all(not any(lengths[n]) for n in (2, 3, 4))  # tables only: their text is empty


def test_synthetic_narrative_has_the_seeds_mean_and_spread():
    import statistics

    reports = [synth_reports.make_report(i, narrative_chars=None) for i in range(600)]
    for number, seed in synth_reports.SEED_SECTION_CHARS.items():
        got = [len(r["sections"][number - 1]["text"]) for r in reports]
        assert abs(statistics.mean(got) - statistics.mean(seed)) <= 0.15 * statistics.mean(seed), number
        assert statistics.pstdev(got) == pytest.approx(statistics.pstdev(seed), rel=0.35), number
    assert all(r["sections"][1]["text"] == "" for r in reports)
    # the report text is what the parser makes of it: title, then each heading and its text
    r = reports[0]
    assert r["text"].startswith(r["title"] + "\n" + r["sections"][0]["heading"] + "\n")
    assert all(s["text"] in r["text"] for s in r["sections"])
