"""Converting legacy Office files with LibreOffice in headless mode, bounded in time.

LibreOffice is the one well-kept reader of Word 97-2003 and WPS Writer files. It runs as
a separate program: each conversion gets a private temporary directory holding the input
(under a fixed name, never one derived from the document's name), the output and its own
user profile (`-env:UserInstallation`), so parallel conversions never share state. The
arguments are a list, never a shell string. A conversion that outlives its time limit is
killed with its whole process group (soffice starts oosplash and soffice.bin), and the
directory is removed whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .model import ParseError

PACKAGE = "libreoffice-writer-nogui"
DEFAULT_TIMEOUT = 120.0  # seconds; a report converts in a few, a first start takes longer


def timeout() -> float:
    """The time limit of one conversion: NIANBAO_OFFICE_TIMEOUT seconds, else the default."""
    try:
        return max(1.0, float(os.environ.get("NIANBAO_OFFICE_TIMEOUT", DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


def soffice() -> str | None:
    """The LibreOffice program on PATH, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(data: bytes, source: str, *, suffix: str, target: str, what: str) -> bytes:
    """Convert `data` (a file of type `suffix`, e.g. ".doc") to `target` (e.g. "docx") and
    return the converted bytes. Raises ParseError naming `source` when LibreOffice is
    missing, fails, or exceeds the time limit."""
    program = soffice()
    if program is None:
        raise ParseError(source, f"{what} needs LibreOffice to be read: install the Debian package "
                                 f"{PACKAGE} (apt-get install {PACKAGE})")
    limit = timeout()
    work = Path(tempfile.mkdtemp(prefix="nianbao-office-"))
    try:
        src = work / f"input{suffix}"
        src.write_bytes(data)
        out = work / "out"
        out.mkdir()
        profile = work / "profile"
        args = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
                "--norestore", "--nolockcheck", "--nodefault", "--nologo",
                "--convert-to", target, "--outdir", str(out), str(src)]
        env = dict(os.environ, HOME=str(work), TMPDIR=str(work), FONTCONFIG_FILE=str(_fonts(work)))
        try:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, cwd=work, env=env, start_new_session=True)
        except OSError as exc:
            raise ParseError(source, f"cannot start LibreOffice ({program}): {exc}") from exc
        try:
            _, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ParseError(source, f"LibreOffice did not convert the {what} within the time limit "
                                     f"of {limit:g} s (NIANBAO_OFFICE_TIMEOUT); it was stopped") from None
        finally:
            _kill_group(proc)  # helpers soffice may have left behind in its group
        produced = sorted(out.glob(f"*.{target.split(':')[0]}"))
        if proc.returncode != 0 or not produced or produced[0].stat().st_size == 0:
            detail = (err or b"").decode("utf-8", "replace").strip().splitlines()
            tail = f": {detail[-1][:200]}" if detail else ""
            raise ParseError(source, f"LibreOffice could not read the {what} (damaged or not really "
                                     f"a {what}?){tail}")
        return produced[0].read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _fonts(work: Path) -> Path:
    """A fontconfig file: the system's fonts plus one font of ours. LibreOffice aborts at
    start on a machine without any font, and converting a file needs none in particular
    (the .docx keeps the font names, not glyphs): the box font of `pdf_fonts` suffices."""
    from .pdf_fonts import box_font

    fonts = work / "fonts"
    fonts.mkdir()
    (fonts / "NianbaoBoxFallback.ttf").write_bytes(box_font())
    system = os.environ.get("FONTCONFIG_FILE", "/etc/fonts/fonts.conf")
    conf = work / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f'  <include ignore_missing="yes">{system}</include>\n'
        f"  <dir>{fonts}</dir>\n  <cachedir>{work / 'fontcache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8")
    return conf


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the conversion's process group (it is its own session) and reap the child."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired, ValueError):
        proc.communicate(timeout=10)
