"""One agency, one name: the canonical name of an agency and the aliases it was seen under.

A report reaches the archive by several routes and each may name its agency differently:
the page's metadata says 「广州市黄埔区人民政府」, the title prints 「广州市黄埔区人民政府
广州开发区管委会」 (one organ under two names, 一套班子两块牌子), a file read by hand has
only the title. The report id is derived from the agency and the year (load.py), so
without one name per agency the same report becomes two.

Aliases are recognised conservatively, because a wrong merge of two agencies is worse
than two names for one: two names are taken for one agency only when the *same report*
carries both (its chosen agency, its title, the registry's agency of its column) and one
name is the other followed by the name of a government of a place or zone (「…人民政府」 +
「广州开发区管委会」). 「…人民政府」 + 「办公室」 (the government's office, another organ) or
+ 「黄埔街道办事处」 (a street office) is never an alias. Names are compared without white
space and after NFKC (full-width brackets and digits as half-width). The first name an
agency is seen under stays its canonical name, so report ids do not change; two agencies
already in the archive are never merged automatically.

Tables (migration in schema.py): ``agencies`` (id, name = canonical, region, level) and
``agency_names`` (key, name, agency_id, sources: report/title/registry); the view
``agency_aliases`` maps every name seen to its canonical name. :func:`canonical` is the one
function other code (coverage, pages) asks "which agency is this name?".
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

_SPACE = re.compile(r"\s+")
_YEAR = re.compile(r"(19|20)\d{2}\s*年")
# The remainder of a longer name that makes it a joint name: a place or zone's government.
_JOINT = re.compile(
    r"^[\u4e00-\u9fff]{1,12}?(?:省|市|自治区|自治州|区|县|州|盟|旗)[\u4e00-\u9fff]{0,6}?"
    r"(?:人民政府|管委会|管理委员会|管理局|政府)$"
)
_BRACKETS = str.maketrans("", "", "()（）[]【】 ")


def key(name: str | None) -> str:
    """The comparison key of a name: NFKC, no white space."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name or ""))


def display(name: str | None) -> str:
    """A name as shown: as printed, white space removed."""
    return _SPACE.sub("", name or "")


def agency_id(canonical: str) -> str:
    """Stable id of an agency, from its canonical name (like report ids, stable on rebuilds)."""
    return hashlib.sha256(("agency\x00" + key(canonical)).encode("utf-8")).hexdigest()[:12]


def name_from_title(title: str | None) -> str | None:
    """The agency a report's title names: the words before its year (…2020年政府信息公开…)."""
    t = display(title)
    m = _YEAR.search(t)
    if not m:
        return None
    name = re.sub(r"(关于|的)$", "", t[: m.start()])
    return name if len(name) >= 4 else None


def is_joint_name(shorter: str, longer: str) -> bool:
    """True when `longer` is `shorter` followed by another place's government (a joint name)."""
    a, b = key(shorter), key(longer)
    if len(a) < 4 or not b.startswith(a) or a == b:
        return False
    return bool(_JOINT.match(b[len(a):].translate(_BRACKETS)))


def same_agency(a: str, b: str) -> bool:
    return key(a) == key(b) or is_joint_name(a, b) or is_joint_name(b, a)


@dataclass
class Resolution:
    """The canonical name of a report's agency and the names to record for it."""

    canonical: str | None
    agency_id: str | None = None
    new_agency: bool = False
    names: list[tuple[str, str]] = field(default_factory=list)  # (display name, source)
    region: str | None = None
    level: str | None = None


def names_seen(report: dict[str, Any], source: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, source) of every name this report gives its own agency, its chosen one first.

    The registry's agency and the title's name count only when they are the same agency as
    the chosen one (a column may publish other organs' reports).
    """
    chosen = display(report.get("agency") or source.get("agency"))
    if not chosen:
        return []
    seen = [(chosen, "report" if report.get("agency") else "registry")]
    for name, kind in ((name_from_title(report.get("title")), "title"),
                       (display(source.get("agency")), "registry")):
        if name and same_agency(chosen, name):
            seen.append((name, kind))
    return seen


def _lookup(db: Database | sqlite3.Connection, keys: list[str]) -> dict[str, tuple[str, str]]:
    """{key: (agency_id, canonical name)} for the keys the archive knows."""
    if not keys:
        return {}
    marks = ", ".join("?" for _ in keys)
    rows = db.execute(
        f"SELECT n.key, a.id, a.name FROM agency_names n JOIN agencies a ON a.id = n.agency_id "
        f"WHERE n.key IN ({marks})", keys,
    ).fetchall()
    return {k: (aid, name) for k, aid, name in rows}


def resolve(db: Database, report: dict[str, Any], source: dict[str, Any] | None,
            seen: list[tuple[str, str]] | None = None) -> Resolution:
    """The canonical agency of a report about to be loaded (reads only; see :func:`record`).

    `seen`: names_seen(report, source) when already known (archive/prepare.py).
    """
    source = source or {}
    if seen is None:
        seen = names_seen(report, source)
    res = Resolution(None, region=source.get("region"), level=source.get("level"))
    if not seen:
        return res
    known = _lookup(db, sorted({key(n) for n, _ in seen}))
    chosen_key = key(seen[0][0])
    if chosen_key in known:
        res.agency_id, res.canonical = known[chosen_key]
    elif len({aid for aid, _ in known.values()}) == 1:
        res.agency_id, res.canonical = next(iter(known.values()))
    else:  # unknown, or its aliases point at two agencies: a new name, never a merge
        res.canonical = seen[0][0]
        res.agency_id = agency_id(res.canonical)
        res.new_agency = True
        known = {k: v for k, v in known.items() if v[0] == res.agency_id}
    # record the names that are new, or known for this same agency (to add a source)
    res.names = [(n, kind) for n, kind in seen
                 if key(n) not in known or known[key(n)][0] == res.agency_id]
    return res


def record(db: Database, res: Resolution, report_id: str | None = None) -> None:
    """Write the agency and its names; called inside the report's transaction."""
    if res.canonical is None or res.agency_id is None:
        return
    db.execute(
        "INSERT INTO agencies (id, name, region, level, first_report_id) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET region = coalesce(agencies.region, excluded.region), "
        "level = coalesce(agencies.level, excluded.level)",
        [res.agency_id, res.canonical, res.region, res.level, report_id],
    )
    for name, kind in [(res.canonical, "report"), *res.names]:
        k = key(name)
        row = db.execute("SELECT agency_id, sources FROM agency_names WHERE key = ?", [k]).fetchone()
        if row is None:
            db.execute("INSERT INTO agency_names (key, name, agency_id, sources) VALUES (?, ?, ?, ?)",
                       [k, name, res.agency_id, kind])
        elif row[0] == res.agency_id and kind not in row[1].split(","):
            sources = ",".join(sorted({*row[1].split(","), kind}))
            db.execute("UPDATE agency_names SET sources = ? WHERE key = ?", [sources, k])


def canonical(db: Database | sqlite3.Connection, name: str | None) -> str | None:
    """The canonical name of the agency called `name`, or None when the archive never saw it."""
    if not name:
        return None
    found = _lookup(db, [key(name)])
    return found[key(name)][1] if found else None


def create_tables(db: Database) -> None:
    """Migration step: the tables, the alias view, and the agencies of the reports present."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS agencies (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
        "region TEXT, level TEXT, first_report_id TEXT)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS agency_names (key TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "agency_id TEXT NOT NULL REFERENCES agencies(id), sources TEXT NOT NULL)"
    )
    db.table("agency_names").create_index(["agency_id"], if_not_exists=True)
    if "agency_id" not in db["reports"].columns_dict:
        db.table("reports").add_column("agency_id", str)
    db.table("reports").create_index(["agency_id"], if_not_exists=True)
    db.execute(
        "CREATE VIEW IF NOT EXISTS agency_aliases AS SELECT n.name AS name, a.name AS canonical, "
        "a.id AS agency_id, n.sources AS sources FROM agency_names n JOIN agencies a ON a.id = n.agency_id"
    )
    rows = db.execute(
        "SELECT id, agency, title, region, level FROM reports WHERE agency IS NOT NULL ORDER BY rowid"
    ).fetchall()
    for rid, agency, title, region, level in rows:
        res = resolve(db, {"agency": agency, "title": title}, {"region": region, "level": level})
        record(db, res, rid)
        # the name stays as loaded (ids and the search index depend on it); the id links it
        db.execute("UPDATE reports SET agency_id = ? WHERE id = ?", [res.agency_id, rid])
