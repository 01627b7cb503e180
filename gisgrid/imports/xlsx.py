"""A minimal XLSX writer for reports: sheets of plain values, written as one string each.

A report has a row per register row, 100,000 and more; openpyxl's write-only mode spends
about a quarter of a millisecond per row building XML elements (most of a 100,000-row
import's time, bench/README.md). A sheet of numbers and inline strings needs no shared
strings, styles or element tree: this writes the SpreadsheetML parts of ECMA-376 as text
(Excel, LibreOffice, openpyxl and calamine read them).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["write_xlsx"]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '{sheets}</Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_BOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
         '<sheets>{sheets}</sheets></workbook>')
_BOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '{rels}</Relationships>')
_SHEET_REL = ('<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships/worksheet" Target="worksheets/sheet{n}.xml"/>')
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"
#: Characters XML 1.0 does not allow (control characters other than tab, LF, CR).
_ILLEGAL = {c: None for c in range(32) if c not in (9, 10, 13)}


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c><v>{value!r}</v></c>"
    text = escape(str(value).translate(_ILLEGAL))[:32767]
    return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet(rows: Iterable[Sequence[Any]]) -> str:
    return _SHEET_HEAD + "".join("<row>" + "".join(map(_cell, row)) + "</row>" for row in rows) + _SHEET_TAIL


def write_xlsx(sheets: Sequence[tuple[str, Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of named sheets, each a sequence of rows of plain values (str, int,
    float, bool, None); sheet names are cut to Excel's 31 characters.

    Examples
    --------
    >>> import io, openpyxl
    >>> book = openpyxl.load_workbook(io.BytesIO(write_xlsx([("明细", [["行号", "状态"], [2, "matched"]])])))
    >>> book.sheetnames, list(book["明细"].values)
    (['明细'], [('行号', '状态'), (2, 'matched')])
    """
    out = io.BytesIO()
    names = [escape(name[:31], {'"': "&quot;"}) for name, _ in sheets]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, len(sheets) + 1))))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _BOOK.format(sheets="".join(
            f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(names, 1))))
        z.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS.format(
            rels="".join(_SHEET_REL.format(n=n) for n in range(1, len(sheets) + 1))))
        for n, (_, rows) in enumerate(sheets, 1):
            z.writestr(f"xl/worksheets/sheet{n}.xml", _sheet(rows))
    return out.getvalue()
