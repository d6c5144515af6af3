"""Legacy Office files through LibreOffice, Excel through calamine, and what goes wrong:
LibreOffice missing, LibreOffice hanging (a fake `soffice` on PATH, killed at the time
limit), a document name full of shell syntax, a corrupt .doc, a password-protected .xls.
In a `nianbao parse` run, each bad file gets its own clear error and the others are read."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nianbao import parsers
from nianbao.parsers import Table, extract_sheet, office

REPO = Path(__file__).resolve().parents[2]
FORMS = REPO / "tests" / "fixtures" / "forms"
BAD = REPO / "tests" / "fixtures" / "bad"
DOC = FORMS / "000_eac659b3405373d8.doc"
needs_soffice = pytest.mark.skipif(office.soffice() is None,
                                   reason=f"LibreOffice is not installed (Debian package {office.PACKAGE})")


def fake_soffice(tmp_path: Path, body: str) -> dict[str, str]:
    """An environment whose PATH finds a fake `soffice` (a shell script with `body`) first."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "soffice"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}"}


@needs_soffice
def test_doc_tables_and_merged_cells_come_through() -> None:
    doc = parsers.extract(DOC.read_bytes(), "report.doc")
    assert doc.kind == "doc" and any("LibreOffice" in n for n in doc.notes)
    apps = next(b for b in doc.blocks
                if isinstance(b, Table) and any("本年新收" in c.text for r in b.rows for c in r))
    # the three-row header's merged cells are expanded with copies marked spanned
    assert any(c.spanned and c.text == "申请人情况" for c in apps.rows[0])


def test_without_libreoffice_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice anywhere
    with pytest.raises(parsers.ParseError) as info:
        parsers.parse_file(DOC)
    assert "libreoffice-writer-nogui" in info.value.problem and str(DOC) == info.value.source


def test_hanging_libreoffice_is_killed_at_the_time_limit(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    # the fake starts a child (as soffice starts soffice.bin) and both hang
    env = fake_soffice(tmp_path, f"sleep 300 & echo $! >> {pidfile}\necho $$ >> {pidfile}\nwait")
    monkeypatch.setenv("PATH", env["PATH"])
    monkeypatch.setenv("NIANBAO_OFFICE_TIMEOUT", "2")
    start = time.monotonic()
    with pytest.raises(parsers.ParseError, match=r"did not convert .* within the time limit of 2 s"):
        parsers.parse_file(DOC)
    assert time.monotonic() - start < 30
    time.sleep(0.2)
    for pid in map(int, pidfile.read_text().split()):
        alive = Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
        assert not alive, f"process {pid} of the hung conversion survived"


def test_document_name_never_reaches_a_shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The file is handed to LibreOffice under a fixed name, as one argv entry each."""
    argv = tmp_path / "argv"
    env = fake_soffice(tmp_path, f'for a in "$@"; do printf "%s\\n" "$a" >> {argv}; done; exit 3')
    monkeypatch.setenv("PATH", env["PATH"])
    evil = tmp_path / "x; touch PWNED; $(touch PWNED2).doc"
    evil.write_bytes(DOC.read_bytes())
    with pytest.raises(parsers.ParseError, match="LibreOffice could not read"):
        parsers.parse_file(evil)
    args = argv.read_text().splitlines()
    assert args[-1].endswith("/input.doc") and "--headless" in args
    assert any(a.startswith("-env:UserInstallation=file://") for a in args)
    assert not list(tmp_path.glob("PWNED*")) and not list(Path.cwd().glob("PWNED*"))


def test_password_protected_and_corrupt_files() -> None:
    with pytest.raises(parsers.ParseError, match="password-protected spreadsheet"):
        parsers.parse_file(BAD / "protected.xls")
    assert extract_sheet.encrypted_xls((BAD / "protected.xls").read_bytes())
    assert not extract_sheet.encrypted_xls((FORMS / "000_eac659b3405373d8.xls").read_bytes())
    with pytest.raises(parsers.ParseError, match="corrupt legacy Office"):
        parsers.parse_file(BAD / "corrupt.doc")


def test_sheet_merges_and_narrow_tables() -> None:
    """Merged ranges are copied (marked spanned); a table narrower than the sheet's used
    range gets no blank columns (they would read as empty cells)."""
    doc = parsers.extract((FORMS / "001_092bb9cf510e616c.xlsx").read_bytes(), "r.xlsx")
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    licence = next(t for t in tables if any(c.text == "行政许可" for r in t.rows for c in r))
    assert [c.text for c in licence.rows[-1]] == ["行政许可", "0"]
    reviews = tables[-1]
    assert [c.spanned for c in reviews.rows[0][:5]] == [False, True, True, True, True]
    assert reviews.rows[0][4].text == "行政复议"


def test_one_bad_file_never_stops_a_parse_run(tmp_path: Path) -> None:
    """A hanging LibreOffice, a password-protected .xls, a cat, a corrupt .doc and a
    300-page scan each get an error naming the file; the good files are parsed."""
    env = dict(os.environ, NIANBAO_OFFICE_TIMEOUT="2",
               PATH=fake_soffice(tmp_path, "sleep 300")["PATH"])
    files = [FORMS / "000_eac659b3405373d8.xlsx", DOC, BAD / "protected.xls", BAD / "cat.png",
             BAD / "corrupt.doc", BAD / "scan_300_pages.pdf", FORMS / "002_c44ede4c9c57f811.docx"]
    cli = Path(sys.executable).with_name("nianbao")
    run = subprocess.run([str(cli), "parse", *map(str, files)], capture_output=True, text=True, env=env,
                         timeout=300, check=False)
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["source"] for o in out] == [str(f) for f in files]
    assert "error" not in out[0] and out[0]["agency"] == "广州市协作办公室"
    assert "error" not in out[-1] and out[-1]["year"] == 2020
    for o, want in zip(out[1:-1], ["time limit", "password-protected", "no text", "corrupt legacy Office",
                                   "300 pages"], strict=True):
        assert want in o["error"] and o["error"].startswith(o["source"] + ": "), o
    assert run.returncode == 1 and "5 failed" in run.stderr


def test_wps_spreadsheet_et_is_read_as_a_sheet_by_its_bytes() -> None:
    """WPS Spreadsheets' .et files are Excel 97-2003 workbooks inside: the bytes decide."""
    data = (FORMS / "000_eac659b3405373d8.xls").read_bytes()
    assert parsers.detect.sniff(data, "附件2.et") == "sheet"
    out = parsers.parse_bytes(data, "附件2.et")
    assert out["kind"] == "sheet" and out["agency"] == "广州市协作办公室"


@needs_soffice
def test_libreoffice_gets_a_font_on_a_machine_without_any(tmp_path: Path) -> None:
    """LibreOffice aborts when fontconfig finds no font at all; each conversion brings one."""
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                     f"<dir>{tmp_path / 'none'}</dir><cachedir>{tmp_path / 'cache'}</cachedir>"
                     "</fontconfig>\n")
    code = ("import sys; from nianbao import parsers; "
            "print(parsers.parse_file(sys.argv[1])['agency'])")
    env = dict(os.environ, FONTCONFIG_FILE=str(empty))
    run = subprocess.run([sys.executable, "-c", code, str(DOC)], capture_output=True, text=True, env=env,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "广州市协作办公室"
