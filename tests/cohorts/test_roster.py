"""Roster import: a mentor uploads the class's CSV, sees what it would do, confirms;
existing accounts join, new people are invited by email, once."""

import pytest

from accounts.models import Entry
from cohorts.roster import RosterUnreadable, check_cells, read_roster

pytestmark = pytest.mark.django_db

LIMITS = {"max_bytes": 1_000_000, "max_rows": 2000}


def read(text, encoding="utf-8", **limits):
    data = text.encode(encoding) if isinstance(text, str) else text
    return read_roster(data, **(LIMITS | limits))


def refusal(text):
    with pytest.raises(RosterUnreadable) as refused:
        read(text)
    return refused.value.message


# -- reading the file ------------------------------------------------------------


def test_reads_a_plain_comma_separated_roster():
    roster = read("name,email,entry,batch\nAsha Verma,asha@example.com,regular,2025\n")
    assert [(r.line, r.name, r.email, r.entry_year, r.batch) for r in roster.rows] == [
        (2, "Asha Verma", "asha@example.com", Entry.REGULAR, 2025)
    ]
    assert roster.refused == []


def test_reads_excel_utf8_with_byte_order_mark_crlf_and_semicolons():
    data = "\ufeffName;E-mail;Entry;Batch\r\nŚrī Lakṣmī;lakshmi@example.com;Lateral;2024\r\n"
    roster = read(data)
    row = roster.rows[0]
    assert (row.name, row.email, row.entry_year, row.batch) == (
        "Śrī Lakṣmī",
        "lakshmi@example.com",
        Entry.LATERAL,
        2024,
    )


def test_reads_windows_1252_and_tab_separated_files():
    data = "Full name\tEmail address\nJosé Müller\tjose@example.com\n".encode("cp1252")
    assert read(data).rows[0].name == "José Müller"


def test_reads_excel_unicode_text_utf16():
    data = "Name\tEmail\nकविता\tkavita@example.com\n".encode("utf-16")
    assert read(data).rows[0].name == "कविता"


def test_quoted_cells_keep_their_separators():
    roster = read('email;name\n"a@example.com";"Verma; Asha"\n')
    assert roster.rows[0].name == "Verma; Asha"


@pytest.mark.parametrize(
    "header",
    [
        "Name,Email",
        "FULL NAME,E-Mail",
        "Student Name,Email Address",
        " name , email id ",
        "Name,E-mail address",
    ],
)
def test_header_names_match_without_case_and_in_common_variants(header):
    assert read(f"{header}\nAsha,asha@example.com\n").rows[0].email == "asha@example.com"


@pytest.mark.parametrize("header", ["Entry,Batch", "Entry type,Admission year"])
def test_optional_column_variants(header):
    roster = read(f"Name,Email,{header}\nAsha,asha@example.com,year 2,2024\n")
    assert (roster.rows[0].entry_year, roster.rows[0].batch) == (Entry.LATERAL, 2024)


@pytest.mark.parametrize(
    "entry, expected",
    [
        ("regular", Entry.REGULAR),
        ("REGULAR", Entry.REGULAR),
        ("1", Entry.REGULAR),
        ("Year 1", Entry.REGULAR),
        ("lateral", Entry.LATERAL),
        ("Lateral Entry", Entry.LATERAL),
        ("2", Entry.LATERAL),
        ("year 2", Entry.LATERAL),
        ("", None),
    ],
)
def test_entry_is_regular_or_lateral_in_plain_words(entry, expected):
    roster = read(f"name,email,entry\nAsha,asha@example.com,{entry}\n")
    assert roster.rows[0].entry_year == expected


def test_blank_rows_and_extra_columns_are_ignored_and_rows_keep_spreadsheet_numbers():
    roster = read(
        "Roll no;Name;Email\n;;\n17;Asha;asha@example.com\n;;\n18;Ravi;ravi@example.com\n"
    )
    assert [(row.line, row.name) for row in roster.rows] == [(3, "Asha"), (5, "Ravi")]


@pytest.mark.parametrize(
    "row, reason",
    [
        (",asha@example.com,,", "No name."),
        ("Asha,,,", "No email address."),
        ("Asha,asha(at)example.com,,", "“asha(at)example.com” is not an email address."),
        ("Asha,asha@example.com,3,", "Entry “3” is not regular or lateral"),
        ("Asha,asha@example.com,distance,", "Entry “distance” is not regular or lateral"),
        ("Asha,asha@example.com,,1925", "Batch “1925” is not an admission year from 2000 to 2100."),
        ("Asha,asha@example.com,,2025.5", "Batch “2025.5” is not an admission year"),
        ("Asha,asha@example.com,,२०२५", "Batch “२०२५” is not an admission year"),
        ("A" * 151 + ",asha@example.com,,", "The name is longer than 150 characters."),
    ],
)
def test_every_refusal_has_its_reason_and_the_good_rows_stay(row, reason):
    roster = read(f"name,email,entry,batch\n{row}\nRavi,ravi@example.com,,\n")
    assert [row.email for row in roster.rows] == ["ravi@example.com"]
    [refused] = roster.refused
    assert refused.line == 2
    assert any(r.startswith(reason) for r in refused.reasons), refused.reasons


def test_a_duplicate_row_is_refused_pointing_to_the_first_whatever_the_case():
    roster = read(
        "name,email\nAsha,asha@example.com\nRavi,r@example.com\nAsha V,ASHA@Example.com\n"
    )
    assert [row.line for row in roster.rows] == [2, 3]
    assert roster.refused[0].line == 4
    assert roster.refused[0].reasons == ("The same email address as row 2.",)


def test_a_row_with_several_problems_lists_them_all():
    roster = read("name,email,entry,batch\n,nobody,4,20\n")
    assert len(roster.refused[0].reasons) == 4


def test_formulas_stay_text():
    roster = read('name,email\n"=HYPERLINK(""http://evil"",""x"")",f@example.com\n')
    assert roster.rows[0].name == '=HYPERLINK("http://evil","x")'


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"\r\n\r\n", "The file is empty."),
        (b";;;\r\n;;;\r\n", "The file is empty."),
        (b"name,email\r\n", "The file has a header row but no students under it."),
        (b"name,mail address\nAsha,a@example.com\n", "The file has no email column."),
        (b"student,e-mail\nAsha,a@example.com\n", None),
        (b"roll,batch\n1,2025\n", "The file has no name and no email column."),
        (b"PK\x03\x04\x14\x00\x06\x00rest of a workbook", "This is an Excel workbook, not a CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old .xls", "This is an Excel workbook, not a CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file is not a CSV text file."),
        (b"name,email\n\x81\x8d\x8f,a@example.com\n", "The file's characters cannot be read"),
        (b'name,email\n"Asha,a@example.com\n', None),
    ],
)
def test_unreadable_files_say_why(data, message):
    if message is None:  # read: a quote left open swallows the rest, a row refused
        roster = read(data)
        assert len(roster.rows) + len(roster.refused) == 1
        return
    assert refusal(data).startswith(message)


def test_missing_columns_are_named_with_what_the_file_has():
    message = refusal("Student ID,Mail Address\n1,a@example.com\n")
    assert "no name and no email column" in message
    assert "“Student ID”, “Mail Address”" in message


def test_size_and_row_limits_are_said_in_words():
    rows = "".join(f"S{n},s{n}@example.com\n" for n in range(6))
    assert read("name,email\n" + rows, max_rows=6).rows
    with pytest.raises(RosterUnreadable, match="has 6 students; the most Waypoint reads"):
        read("name,email\n" + rows, max_rows=5)
    with pytest.raises(RosterUnreadable, match="larger than 1 MB"):
        read(b"name,email\n" + b"x" * 1_000_000)


def test_check_cells_gives_the_same_roster_back_and_refuses_other_shapes():
    roster = read("name,email,batch\nAsha,a@example.com,2025\n,b@example.com,\n")
    again = check_cells(roster.cells)
    assert (again.rows, again.refused) == (roster.rows, roster.refused)
    with pytest.raises(ValueError):
        check_cells([["2", "Asha", "a@example.com", "", ""]])
