"""Reading a class roster: the CSV a college already has (name, email, and optionally
entry and batch), as Excel saves it, into rows Waypoint can act on and rows it refuses,
each with the reason in the mentor's words.

Pure: bytes in, ``Roster`` out, no database and no files. ``cohorts.services`` then
sorts the good rows into new people, existing accounts and members
(``roster_preview``) and acts on them (``roster_import``).
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import EARLIEST_BATCH, LATEST_BATCH, Entry

NAME_MAX = 150  # accounts.User.name
EMAIL_MAX = 254  # accounts.User.email

# Header cells, lowercased and with punctuation turned into spaces, that name a column.
HEADERS = {
    "name": {"name", "full name", "student name", "student", "name of student"},
    "email": {
        "email",
        "e mail",
        "email address",
        "e mail address",
        "email id",
        "e mail id",
        "mail",
        "mail id",
    },
    "entry": {
        "entry",
        "entry type",
        "type of entry",
        "entry year",
        "entry point",
        "admission type",
    },
    "batch": {"batch", "admission year", "year of admission", "batch year", "admitted"},
}
REQUIRED = ("name", "email")

ENTRIES = {
    "regular": Entry.REGULAR,
    "regular entry": Entry.REGULAR,
    "1": Entry.REGULAR,
    "year 1": Entry.REGULAR,
    "year 1 regular": Entry.REGULAR,
    "lateral": Entry.LATERAL,
    "lateral entry": Entry.LATERAL,
    "2": Entry.LATERAL,
    "year 2": Entry.LATERAL,
    "year 2 lateral entry": Entry.LATERAL,
}

EMPTY = "The file is empty. Upload a CSV with a header row and a row per student."
# Control characters no spreadsheet writes into a CSV: a file full of them is binary.
BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class RosterUnreadable(Exception):
    """The file as a whole cannot be read as a roster; ``message`` says why and what to
    do, in the mentor's words. Nothing of it is used."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RosterRow:
    """One accepted row: ``line`` is its row number in the spreadsheet (the header is
    row 1), ``entry_year`` an ``Entry`` value or None, ``batch`` a year or None."""

    line: int
    name: str
    email: str
    entry_year: int | None = None
    batch: int | None = None

    @property
    def key(self) -> str:
        """The email as Waypoint compares addresses: case does not matter."""
        return self.email.lower()


@dataclass(frozen=True)
class RefusedRow:
    """A row that is not used: its ``line``, the ``name`` and ``email`` cells as written
    (text, never evaluated) and ``reasons``, one sentence each."""

    line: int
    name: str
    email: str
    reasons: tuple[str, ...]


@dataclass
class Roster:
    """What a file says: ``rows`` accepted, ``refused`` with their reasons, in file
    order; ``cells`` is every data row's [line, name, email, entry, batch] as written,
    which ``check_cells`` turns into the same Roster again (the confirm step)."""

    rows: list[RosterRow] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    cells: list[list] = field(default_factory=list)


def read_roster(data: bytes, *, max_bytes: int, max_rows: int) -> Roster:
    """The roster in ``data``, the bytes of an uploaded CSV file.

    Reads UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark and
    Windows-1252; Windows or Unix line endings; "," or ";" or tab between cells; header
    names in any case and their common variants (HEADERS). Raises RosterUnreadable for
    a file that is empty, over ``max_bytes`` or ``max_rows`` data rows, not text (a
    spreadsheet's own format), undecodable, or missing the name or email column.
    """
    if len(data) > max_bytes:
        raise RosterUnreadable(
            f"The file is larger than {size_in_words(max_bytes)}, the most Waypoint reads at "
            "once. Split the class into smaller files."
        )
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterUnreadable(
            "This is an Excel workbook, not a CSV file. In Excel choose File → Save As → "
            "“CSV UTF-8 (Comma delimited)” and upload that file."
        )
    text = _decode(data)
    if not text.strip():
        raise RosterUnreadable(EMPTY)
    if BINARY.search(text):
        raise RosterUnreadable(
            "This file is not a CSV text file. Save the roster as CSV (comma or semicolon "
            "separated) and upload that."
        )
    records = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        records = [[cell.strip() for cell in record] for record in records]
    except csv.Error:
        raise RosterUnreadable(
            "The file's cells cannot be told apart (a cell of more than 100,000 characters, "
            "or quotes that do not pair up). Save it again as CSV from the spreadsheet and "
            "upload that."
        ) from None
    # Row numbers as the spreadsheet shows them; blank rows (and ";;;" rows) are skipped.
    numbered = [(line, record) for line, record in enumerate(records, start=1) if any(record)]
    if not numbered:
        raise RosterUnreadable(EMPTY)
    (_, header), *body = numbered
    columns = _columns(header)
    cells = [
        [line, *(_cell(record, columns.get(name)) for name in ("name", "email", "entry", "batch"))]
        for line, record in body
    ]
    if not cells:
        raise RosterUnreadable("The file has a header row but no students under it.")
    if len(cells) > max_rows:
        raise RosterUnreadable(
            f"The file has {len(cells):,} students; the most Waypoint reads at once is "
            f"{max_rows:,}. Split the class into smaller files."
        )
    return check_cells(cells)


def check_cells(cells: list[list]) -> Roster:
    """The Roster of ``cells`` ([line, name, email, entry, batch] strings, as in
    ``Roster.cells``): each row accepted or refused with every reason that applies.
    A later row with the email of an earlier one is refused as a duplicate.
    Raises ValueError when ``cells`` is not in that shape."""
    roster = Roster()
    first_line = {}
    for record in cells:
        line, name, email, entry, batch = record
        if not isinstance(line, int) or not all(
            isinstance(cell, str) for cell in (name, email, entry, batch)
        ):
            raise ValueError(f"Not a roster row: {record!r}")
        roster.cells.append([line, name, email, entry, batch])
        reasons = []
        if not name:
            reasons.append("No name.")
        elif len(name) > NAME_MAX:
            reasons.append(f"The name is longer than {NAME_MAX} characters.")
        if not email:
            reasons.append("No email address.")
        elif not _is_email(email):
            reasons.append(f"“{email}” is not an email address.")
        elif email.lower() in first_line:
            reasons.append(f"The same email address as row {first_line[email.lower()]}.")
        else:
            first_line[email.lower()] = line
        entry_year = _entry(entry)
        if entry and entry_year is None:
            reasons.append(f"Entry “{entry}” is not regular or lateral (write regular or lateral).")
        batch_year = _batch(batch)
        if batch and batch_year is None:
            reasons.append(
                f"Batch “{batch}” is not an admission year from {EARLIEST_BATCH} to {LATEST_BATCH}."
            )
        if reasons:
            roster.refused.append(RefusedRow(line, name, email, tuple(reasons)))
        else:
            roster.rows.append(RosterRow(line, name, email, entry_year, batch_year))
    return roster


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise RosterUnreadable(
        "The file's characters cannot be read (it is neither UTF-8 nor Windows-1252). "
        "In Excel choose File → Save As → “CSV UTF-8 (Comma delimited)” and upload that file."
    )


def _delimiter(text: str) -> str:
    """The separator of the header row: whichever of comma, semicolon (Excel where the
    decimal mark is a comma) and tab it has most of; comma when it has none."""
    header = next(line for line in text.splitlines() if line.strip())
    counts = {delimiter: header.count(delimiter) for delimiter in ",;\t"}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _header_name(cell: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", cell.lower()).split())


def _columns(header: list[str]) -> dict[str, int]:
    """Which column holds what (the first of each); RosterUnreadable naming what is missing."""
    columns = {}
    for index, cell in enumerate(header):
        name = _header_name(cell)
        for column, variants in HEADERS.items():
            if name in variants:
                columns.setdefault(column, index)
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        found = ", ".join(f"“{cell[:40]}”" for cell in header[:10] if cell) or "nothing"
        raise RosterUnreadable(
            f"The file has no {' and no '.join(missing)} column. Its first row must name the "
            f"columns: name, email, and optionally entry and batch. It has {found}."
        )
    return columns


def _cell(record: list[str], index: int | None) -> str:
    return record[index] if index is not None and index < len(record) else ""


def _is_email(value: str) -> bool:
    if len(value) > EMAIL_MAX:
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _entry(value: str) -> int | None:
    return ENTRIES.get(_header_name(value)) if value else None


def _batch(value: str) -> int | None:
    if not value.isascii() or not value.isdigit():
        return None
    year = int(value)
    return year if EARLIEST_BATCH <= year <= LATEST_BATCH else None


def size_in_words(size: int) -> str:
    """``size`` bytes as a person reads it: "1 MB", "1.5 MB", "300 KB"."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(size / 1000))} KB"
