"""The size of a report as plain files: the reference the archive's size is measured against.

"The same content as plain files" is, per report, its text in UTF-8 (`report["text"]`,
what the archive stores as ``reports.text``) plus one CSV file per cell table (header
line, one line per cell) holding the cells' own columns as ARCHIVE_DB.md names them:
active_disclosure (article, item, metric, value, unit, raw), applications (row,
applicant, value, raw), reviews (stage, outcome, value, raw). The report id is the name
of the files, not a column; the row label is the template's and is not repeated either
(a reader of plain files looks it up as the archive now does). `with_labels` also counts
the row label in every line of applications.csv, as Datasette's CSV export writes it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

CELL_COLUMNS = {
    "active_disclosure": ["article", "item", "metric", "value", "unit", "raw"],
    "applications": ["row", "applicant", "value", "raw"],
    "reviews": ["stage", "outcome", "value", "raw"],
}


def _csv_bytes(cells: list[dict[str, Any]], columns: list[str]) -> int:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for cell in cells:
        w.writerow(["" if cell.get(c) is None else cell.get(c) for c in columns])
    return len(buf.getvalue().encode("utf-8"))


def plain_bytes(report: dict[str, Any], labels: dict[str, str]) -> dict[str, int]:
    """{"text", "csv", "csv_with_labels"}: bytes of the report as plain files."""
    text = len((report.get("text") or "").encode("utf-8"))
    cells = sum(_csv_bytes(report.get(t) or [], cols) for t, cols in CELL_COLUMNS.items())
    labelled = [
        {**c, "row_label": labels.get(str(c.get("row")))} for c in report.get("applications") or []
    ]
    with_labels = cells - _csv_bytes(report.get("applications") or [], CELL_COLUMNS["applications"]) + (
        _csv_bytes(labelled, ["row", "row_label", "applicant", "value", "raw"])
    )
    return {"text": text, "csv": cells, "csv_with_labels": with_labels}
