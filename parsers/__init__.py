"""bytes -> report: extraction, script normalisation, sections, tables, checks. No I/O, no DB."""

from ..contract import REPORT_SCHEMA as SCHEMA
from .api import error_result, extract, parse_bytes, parse_file
from .model import Cell, Document, Paragraph, ParseError, Table

__all__ = [
    "SCHEMA",
    "Cell",
    "Document",
    "Paragraph",
    "ParseError",
    "Table",
    "error_result",
    "extract",
    "parse_bytes",
    "parse_file",
]
