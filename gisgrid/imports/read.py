"""A register file as rows of text: XLSX (or XLS) and CSV, the way offices write them.

XLSX is read with ``python-calamine`` (Rust; a 100,000-row sheet in well under a second,
against seconds for openpyxl), merged cells filled with their top-left value so that a
小区 cell merged down over its rows, or a group header merged across its columns, reads
on every row and column it covers. CSV comes in UTF-8 (with or without a BOM) or GB18030
(what Chinese Excel writes; a superset of GBK and GB2312): the encoding is sniffed
(BOM, then strict UTF-8, then GB18030), and a file that is neither is refused with the
line that breaks it. The header row is the row, among the first ones, in which most
headers name a field of the register's kind (:mod:`gisgrid.imports.columns`); a title
row above it (榆阳区金林小区住户登记表, merged across the sheet) is skipped, and a group
header row above it (房屋信息 over 楼栋/单元/室) names the columns it spans.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from gisgrid.errors import InvalidRegisterError
from gisgrid.imports.columns import cell_text, map_columns

__all__ = ["Record", "Register", "read_register"]

#: Rows looked at for the header.
HEADER_SEARCH = 12
#: Most rows in one register (a district's households fit several times over).
MAX_ROWS = 1_000_000
#: Most problems listed in an error (the first ones; the count says how many in all).
MAX_PROBLEMS = 50


@dataclass(slots=True)
class Record:
    """One data row: its row number in the file (1-based, as a spreadsheet shows it) and
    its values by field."""

    row: int
    values: dict[str, str]


@dataclass(slots=True)
class Register:
    """A register read: format, encoding (CSV), sheet (XLSX), header row, the column
    header of each field, and the data rows (blank rows left out)."""

    kind: str
    fmt: str
    encoding: str | None
    sheet: str | None
    header_row: int
    columns: dict[str, str]
    records: list[Record] = field(default_factory=list)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return _strict(data, "gb18030"), "gb18030"


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidRegisterError(
            f"line {line} of the file is neither UTF-8 nor GB18030 (byte {exc.start}): a broken "
            "or cut-off file; nothing was imported",
            details={"problems": [{"row": line, "problem": "encoding"}]}) from None


def _csv_rows(data: bytes) -> tuple[list[list[Any]], str]:
    text, encoding = _decode(data)
    first = text[:4096].split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    rows: list[list[Any]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise InvalidRegisterError(f"a register has at most {MAX_ROWS:,} rows")
    except csv.Error as exc:
        raise InvalidRegisterError(
            f"line {reader.line_num} of the CSV cannot be read ({exc}): a broken or cut-off "
            "file; nothing was imported",
            details={"problems": [{"row": reader.line_num, "problem": str(exc)}]}) from None
    return rows, encoding


def _xlsx_rows(data: bytes, sheet: str | None) -> tuple[list[list[Any]], str]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            raise InvalidRegisterError(f"no sheet {sheet!r} in the workbook", details={"sheets": names})
        ws = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
        rows = ws.to_python(skip_empty_area=False)
        merged = ws.merged_cell_ranges or []
    except InvalidRegisterError:
        raise
    except Exception as exc:   # calamine raises its own error types for a damaged workbook
        raise InvalidRegisterError(f"the workbook cannot be read ({type(exc).__name__}): a broken or "
                                   "cut-off file; nothing was imported") from None
    if len(rows) > MAX_ROWS:
        raise InvalidRegisterError(f"a register has at most {MAX_ROWS:,} rows")
    for (r0, c0), (r1, c1) in merged:     # positions count from the sheet's A1, as rows do
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                row[c] = value
    return rows, ws.name


def _header(kind: str, rows: list[list[str]], given: dict[str, str] | None
            ) -> tuple[int, dict[str, int], list[str]]:
    """(index of the header row, column of each field, the headers as written)."""
    best: tuple[int, int, dict[str, int], list[str]] = (0, -1, {}, [])
    missed: InvalidRegisterError | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH]):
        groups = rows[i - 1] if i > 0 else [""] * len(row)
        groups = [*groups, *[""] * (len(row) - len(groups))][: len(row)]
        # a group header repeated over its columns (a merge) names them; a title does not
        groups = [g if g and g != row[c] and groups.count(g) < len(row) else "" for c, g in enumerate(groups)]
        try:
            mapping = map_columns(kind, row, groups, given)
        except InvalidRegisterError as exc:   # a header named by --column is not in this row
            missed = exc
            continue
        if len(mapping) > best[1] and len(mapping) >= 2:
            best = (i, len(mapping), mapping, row)
    if best[1] < 0:
        if missed is not None:
            raise missed
        raise InvalidRegisterError(
            f"no header row found among the first {HEADER_SEARCH} rows: a {kind} register needs "
            "at least two recognised columns (see `gisgrid import --help`), or name them with "
            "--column FIELD=HEADER",
            details={"rows": [r[:20] for r in rows[:3]]})
    return best[0], best[2], best[3]


def read_register(data: bytes, kind: str, *, sheet: str | None = None,
                  columns: dict[str, str] | None = None) -> Register:
    """Read a register file into records by field.

    Parameters
    ----------
    data : bytes
        The file: XLSX/XLS (by its signature) or CSV (UTF-8 or GB18030, sniffed).
    kind : str
        households, shops, buildings or staff: which headers are recognised.
    sheet : str, optional
        The workbook's sheet (default: the first).
    columns : dict, optional
        field → header as written, for headers not recognised by name.

    Raises
    ------
    InvalidRegisterError
        A file that cannot be read whole (``details`` name the broken row), or no header.

    Examples
    --------
    >>> reg = read_register("小区,楼号,单元,室,人数\\n金林小区,3,2,904,3\\n".encode("gb18030"),
    ...                     "households")
    >>> reg.encoding, reg.records[0].values["building"], reg.records[0].row
    ('gb18030', '3', 2)
    """
    if not data:
        raise InvalidRegisterError("the register file is empty")
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raw, sheet_name = _xlsx_rows(data, sheet)
        fmt, encoding = "xlsx", None
    else:
        raw, encoding = _csv_rows(data)
        fmt, sheet_name = "csv", None
    rows = [[cell_text(v) for v in row] for row in raw]
    at, mapping, headers = _header(kind, rows, columns)
    width = len(headers)
    while width and not headers[width - 1]:
        width -= 1
    reg = Register(kind, fmt, encoding, sheet_name, at + 1, {f: headers[c] for f, c in mapping.items()})
    problems = []
    for i in range(at + 1, len(rows)):
        row = rows[i]
        values = {f: (row[c] if c < len(row) else "") for f, c in mapping.items()}
        if not any(values.values()):
            continue
        if fmt == "csv" and any(row[width:]):
            problems.append({"row": i + 1, "problem": f"{len(row)} fields where the header has {width}"})
        reg.records.append(Record(i + 1, values))
    if problems:
        raise InvalidRegisterError(
            f"{len(problems)} row(s) do not fit the header (first: row {problems[0]['row']}, "
            f"{problems[0]['problem']}); nothing was imported",
            details={"problems": problems[:MAX_PROBLEMS], "count": len(problems)})
    return reg
