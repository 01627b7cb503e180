"""Register imports: the report of ``POST /v1/imports``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ImportGrid(BaseModel):
    id: int
    code: str | None
    name: str | None


class ImportCandidate(BaseModel):
    address: str
    confidence: float
    grid: ImportGrid | None


class ImportRow(BaseModel):
    """One register row: where it led, or why not. Personal fields are never repeated."""

    row: int = Field(description="Row number in the file (1-based, as a spreadsheet shows it)")
    status: Literal["matched", "ambiguous", "unmatched", "duplicate"]
    confidence: float | None = Field(description="How sure the match is (0-1)")
    address: str | None = Field(description="The address the row's columns spell (staff: the grid)")
    match: str | None = Field(description="The registry's address of the place matched")
    grid: ImportGrid | None
    candidates: list[ImportCandidate] = Field(description="ambiguous: the places that fit")
    reason: str | None = Field(description="ambiguous, unmatched, duplicate: why")
    duplicate_of: int | None = Field(description="duplicate: the row it repeats")
    key: str | None = Field(description="The stable key the row is written under")


class ImportCounts(BaseModel):
    rows: int
    matched: int
    ambiguous: int
    unmatched: int
    duplicate: int


class ImportReport(BaseModel):
    """What an import found and did; ``written`` is null for a dry run."""

    kind: Literal["households", "shops", "buildings", "staff"]
    dry_run: bool
    file: dict[str, Any] = Field(description="name, format, encoding, sheet, header_row, columns "
                                             "(field -> header as written)")
    counts: ImportCounts
    written: dict[str, int] | None = Field(description="inserted, updated, unchanged (staff: "
                                                       "team_changes)")
    assigned: list[int] = Field(description="Active plans whose stored household and shop assignment "
                                            "was recomputed after the write")
    rows: list[ImportRow]
