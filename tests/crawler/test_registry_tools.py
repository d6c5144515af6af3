"""Adding portals: `nianbao sources check [--probe]`, `nianbao discover`, and an offline registry crawl."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NIANBAO = Path(sys.executable).with_name("nianbao")


def nianbao(*args: str, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([str(NIANBAO), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=dict(os.environ))


BAD = """sources:
  - id: good
    url: http://127.0.0.1:9/a/
    level: 市
    region: 示例市
    agency: 示例市人民政府
  - id: good
    url: http://127.0.0.1:9/b/
    level: 市
    region: 示例市
    agency: 示例局
    colour: blue
  - id: third
    url: http://127.0.0.1:9/a/
    level: 市
    region: 示例市
    agency: 示例委
    platform: wordpress
  - id: fourth
    url: ftp://example/
    level: 省会
    region: 示例市
    agency: 示例办
"""


def test_sources_check_lists_every_problem(tmp_path):
    reg = tmp_path / "bad.yaml"
    reg.write_text(BAD, encoding="utf-8")
    p = nianbao("sources", "check", "--sources", str(reg))
    assert p.returncode == 1
    errors = [line for line in p.stdout.splitlines() if line.startswith("error: ")]
    assert f"error: {reg}: source #2 (good): duplicate id, first used by source #1" in errors
    assert f"error: {reg}: source #2 (good): unknown field(s) colour" in errors
    assert f"error: {reg}: source #3 (third): duplicate url http://127.0.0.1:9/a/, first used by source #1" \
        in errors
    assert any("source #3 (third): platform 'wordpress' is served by no adapter" in e for e in errors)
    assert any("source #4 (fourth)" in e and "not an http(s) URL" in e for e in errors)
    assert len(errors) == 5, p.stdout
    ok = nianbao("sources", "check")
    assert ok.returncode == 0 and "0 problem(s)" in ok.stdout, ok.stdout


def test_sources_check_probe_says_which_adapter_and_how_many_reports(server, tmp_path, fx):
    reg = fx.write_sources(tmp_path, server.port, ("fx-trs", "fx-hanweb", "fx-gd", "fx-empty"))
    p = nianbao("sources", "check", "--probe", "--sources", str(reg))
    lines = {line.split(":", 1)[0]: line for line in p.stdout.splitlines() if line.startswith("probe ")}
    trs = lines["probe fx-trs"]
    assert "recognised by trs (registry says trs), 1 report links of 4 links, years 2023–2023" in trs
    assert "2 more list page(s) — ok" in lines["probe fx-trs"]
    assert "recognised by hanweb (registry says hanweb)" in lines["probe fx-hanweb"]
    assert "recognised by generic (registry says gdgov), 0 report links" in lines["probe fx-gd"]
    assert lines["probe fx-gd"].endswith("2 more list page(s) — ok: no report link on the first page, "
                                         "look at the further list pages")
    assert lines["probe fx-empty"].endswith("FAILED: 栏目中未找到报告链接 / no report links found")
    assert p.returncode == 1, "a column without report links fails the probe"


def test_offline_registry_crawl_is_one_line_per_source_without_tracebacks(tmp_path, fx):
    closed = fx.PortalServer()  # bind a port, then close it: nothing listens there
    port = closed.port
    closed.server_close()
    reg = tmp_path / "offline.yaml"
    reg.write_text(f"""sources:
  - id: off-dns
    url: http://nianbao-offline-test.invalid/zfxxgknb/
    level: 市
    region: 示例市
    agency: 示例市人民政府
  - id: off-refused
    url: http://127.0.0.1:{port}/zfxxgknb/
    level: 市
    region: 示例市
    agency: 示例局
  - id: off-unknown
    url: http://127.0.0.1:{port}/
    level: 区
    region: 示例区
    agencies: 示例区各部门
    verified: false
""", encoding="utf-8")
    db = tmp_path / "a" / "archive.db"
    args = ["crawl", "--db", str(db), "--sources", str(reg)]
    for k, v in {**fx.FAST, "DNS_TIMEOUT": "5"}.items():
        args += ["-s", f"{k}={v}"]
    p = nianbao(*args)
    assert p.returncode == 1
    out = (p.stdout + p.stderr).splitlines()
    assert "Traceback" not in p.stdout + p.stderr
    assert [line.split(":")[0] for line in out if line.startswith("crawl off-")] == [
        "crawl off-dns", "crawl off-refused"]
    assert "FAILED: 域名解析失败 / DNS failure" in next(x for x in out if x.startswith("crawl off-dns"))
    assert "FAILED: 无法连接服务器 / cannot connect to the server" in next(
        x for x in out if x.startswith("crawl off-refused"))
    assert ("skipped 1 source(s), 栏目地址未核实，未抓取 / column address not verified, not crawled: "
            "off-unknown") in out
    assert len(out) <= 7, out  # 2 sources, skipped, run, archive, coverage, archive path


@pytest.fixture(scope="module")
def demo_portal():
    from nianbao.demo import start_portal

    srv = start_portal(port=0)
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_discover_finds_the_demo_portals_report_column_from_its_home_page(demo_portal, tmp_path):
    import yaml

    from nianbao.crawler.sources import load_sources

    p = nianbao("discover", demo_portal + "/", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    found = yaml.safe_load(p.stdout)["sources"]
    assert [s["url"] for s in found] == [demo_portal + "/zfxxgknb/index.html"]
    assert found[0]["platform"] == "trs" and found[0]["verified"] is False
    assert "政府信息公开 > 政府信息公开年报" in found[0]["note"]
    assert "2 report links" in found[0]["note"]
    reg = tmp_path / "found.yaml"
    reg.write_text(p.stdout, encoding="utf-8")
    assert [s.url for s in load_sources(reg)] == [demo_portal + "/zfxxgknb/index.html"], \
        "the printed entries are a valid registry"
    assert not (tmp_path / "data").exists()


def test_discover_obeys_robots_and_stays_on_the_host(demo_portal, tmp_path):
    """The demo's robots.txt forbids /admin/, linked from the home page as 政府信息公开（内部管理）."""
    from nianbao.resources import sample_portal_dir

    home = (sample_portal_dir() / "index.html").read_text(encoding="utf-8")
    assert '<a href="/admin/index.html">政府信息公开' in home
    p = nianbao("discover", demo_portal + "/", "-s", "LOG_ENABLED=1", "-s", "LOG_LEVEL=DEBUG",
                "-s", f"LOG_FILE={tmp_path / 'discover.log'}", cwd=tmp_path)
    assert p.returncode == 0
    log = (tmp_path / "discover.log").read_text(encoding="utf-8")
    assert "/admin/" not in "".join(line for line in log.splitlines() if "Crawled (200)" in line)
    assert "Crawled (200)" in log
    assert "Forbidden by robots.txt" in log and "/admin/index.html" in log
