"""Roster import: a mentor uploads the class's CSV, sees what it would do, confirms;
existing accounts join, new people are invited by email, once."""

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Entry
from cohorts import services
from cohorts.models import Cohort, Invitation, Membership
from cohorts.roster import RosterUnreadable, check_cells, read_roster
from roadmap.models import Enrollment
from tests.factories import UserFactory, build_roadmap

pytestmark = pytest.mark.django_db

LIMITS = {"max_bytes": 1_000_000, "max_rows": 2000}
JOIN_LINK = re.compile(r"http://testserver(/cohorts/join/[^/\s]+/)")


def read(text, encoding="utf-8", **limits):
    data = text.encode(encoding) if isinstance(text, str) else text
    return read_roster(data, **(LIMITS | limits))


def refusal(text):
    with pytest.raises(RosterUnreadable) as refused:
        read(text)
    return refused.value.message


@pytest.fixture
def roadmap():
    return build_roadmap(items=3, slug="ml")


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
        (b"name,email\n" + b"x" * 200_000 + b",a@example.com\n", "The file's cells cannot be"),
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


# -- the pages -------------------------------------------------------------------


def upload_url(cohort):
    return reverse("cohorts:roster_upload", args=[cohort.pk])


def confirm_url(cohort):
    return reverse("cohorts:roster_confirm", args=[cohort.pk])


def csv_file(text, name="class.csv", encoding="utf-8-sig"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def preview(client, cohort, text, **kwargs):
    return client.post(upload_url(cohort), {"roster": csv_file(text, **kwargs)})


def signed_field(response):
    return re.search(r'name="roster" value="([^"]+)"', response.text)[1]


def confirm(client, cohort, response):
    return client.post(confirm_url(cohort), {"roster": signed_field(response)})


@pytest.fixture
def world(cohort):
    """In the cohort: Ravi. With an account, not in it: Kavya. Invited a week ago: Om."""
    ravi = UserFactory(name="Ravi Kumar", email="ravi@example.com")
    Membership.objects.create(cohort=cohort, student=ravi)
    kavya = UserFactory(name="Kavya Rao", email="Kavya.Rao@example.com")
    Invitation.objects.create(
        cohort=cohort,
        email="om@example.com",
        name="Om",
        sent_at=timezone.now() - timedelta(days=7),
    )
    return {"ravi": ravi, "kavya": kavya}


ROSTER = (
    "Name;Email;Entry;Batch\r\n"
    "Asha Verma;asha@example.com;lateral;2024\r\n"
    "Kavya Rao;kavya.rao@EXAMPLE.com;;\r\n"
    "Ravi Kumar;ravi@example.com;;\r\n"
    "Om Prakash;om@example.com;;\r\n"
    "=cmd|' /C calc'!A0;formula@example.com;;\r\n"
    "No Email;;;\r\n"
    "Asha again;ASHA@example.com;;\r\n"
)


def section(response, name):
    """The words of the preview's section headed ``name-heading``."""
    html = response.text.split(f'aria-labelledby="{name}-heading">', 1)[1].split("</section>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_preview_sorts_the_file_and_changes_nothing(client, cohort, mentor, world):
    client.force_login(mentor)
    response = preview(client, cohort, ROSTER)
    assert response.status_code == 200
    new = section(response, "new")
    assert new.startswith("2 new people")
    assert "Asha Verma · asha@example.com · lateral entry · batch 2024 (row 2)" in new
    # A formula is shown as the text it is, escaped.
    assert "=cmd|&#x27; /C calc&#x27;!A0 · formula@example.com (row 6)" in new
    existing = section(response, "existing")
    assert existing.startswith("1 existing account")
    assert "Kavya Rao · kavya.rao@EXAMPLE.com (row 3)" in existing
    done = section(response, "done")
    week_ago = (timezone.localdate() - timedelta(days=7)).strftime("%-d %b %Y")
    assert done.startswith("2 already done")
    assert "Ravi Kumar · ravi@example.com (row 4) — already in the cohort" in done
    assert f"Om Prakash · om@example.com (row 5) — already invited on {week_ago}" in done
    refused = section(response, "refused")
    assert refused.startswith("2 rows refused")
    assert "Row 7 (No Email · no email): No email address." in refused
    assert "Row 8 (Asha again · ASHA@example.com): The same email address as row 2." in refused
    assert "Import: 1 join, 2 invited" in response.text
    assert Membership.objects.count() == 1
    assert Invitation.objects.count() == 1
    assert mail.outbox == []


def test_confirm_joins_existing_invites_new_and_sends_each_one_mail(client, cohort, mentor, world):
    client.force_login(mentor)
    response = confirm(client, cohort, preview(client, cohort, ROSTER))
    assert response.status_code == 302
    assert response["Location"] == cohort.get_absolute_url()
    kavya = world["kavya"]
    assert set(cohort.students.all()) == {world["ravi"], kavya}
    assert Enrollment.objects.filter(student=kavya, roadmap=cohort.roadmap).exists()
    asha = Invitation.objects.get(email="asha@example.com")
    assert (asha.cohort, asha.name, asha.entry_year, asha.batch, asha.invited_by) == (
        cohort,
        "Asha Verma",
        Entry.LATERAL,
        2024,
        mentor,
    )
    assert sorted(message.to[0] for message in mail.outbox) == [
        "asha@example.com",
        "formula@example.com",
    ]
    page = client.get(response["Location"])
    assert (
        "Roster imported: 1 person joined, 2 invitations sent. Left alone: 1 already in the "
        "cohort; 1 invited before; 2 rows refused." in page.text
    )


def test_the_invitation_mail_has_text_and_html_the_join_link_and_no_remote_images(
    client, cohort, mentor
):
    client.force_login(mentor)
    confirm(client, cohort, preview(client, cohort, "name,email\nAsha Verma,asha@example.com\n"))
    [message] = mail.outbox
    assert message.subject == "Join CSE ML club on Waypoint"
    assert message.to == ["asha@example.com"]
    assert message.reply_to == [mentor.email]
    assert "Hello Asha Verma," in message.body
    assert "Dr. Meera Iyer invites you to join CSE ML club" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<img" not in html and "url(" not in html and "<script" not in html
    path = JOIN_LINK.search(message.body)[1]
    assert path == cohort.get_join_url()
    assert f'href="http://testserver{path}"' in html
    # The link opens the join page, which sends a visitor to sign up and back.
    page = Client().get(path)
    assert "Join CSE ML club" in page.text
    assert f"?next={path}" in page.text


def test_re_uploading_the_same_file_changes_nothing(client, cohort, mentor, world):
    client.force_login(mentor)
    first = preview(client, cohort, ROSTER)
    confirm(client, cohort, first)

    def state():
        return (
            list(Membership.objects.values_list("pk", flat=True)),
            list(Invitation.objects.values_list("pk", "sent_at")),
            len(mail.outbox),
        )

    before = state()
    again = preview(client, cohort, ROSTER)
    assert section(again, "new").startswith("0 new people")
    assert section(again, "existing").startswith("0 existing accounts")
    assert "Nothing to import" in again.text
    assert 'name="roster" value=' not in again.text  # no confirm form
    today = timezone.localdate().strftime("%-d %b %Y")
    assert section(again, "done").count(f"already invited on {today}") == 2
    # Confirming the first preview again (a second tab, the back button) does nothing.
    confirm(client, cohort, first)
    assert state() == before


def test_a_double_click_on_confirm_sends_one_mail(client, cohort, mentor):
    client.force_login(mentor)
    signed = signed_field(preview(client, cohort, "name,email\nAsha,asha@example.com\n"))
    for _ in range(2):
        assert client.post(confirm_url(cohort), {"roster": signed}).status_code == 302
    assert len(mail.outbox) == 1
    assert Invitation.objects.count() == 1


def test_confirm_checks_the_rows_again(client, cohort, mentor):
    """Between preview and confirm, Asha made an account: she joins, no mail."""
    client.force_login(mentor)
    previewed = preview(client, cohort, "name,email\nAsha,asha@example.com\n")
    asha = UserFactory(email="Asha@Example.com")
    confirm(client, cohort, previewed)
    assert list(cohort.students.all()) == [asha]
    assert mail.outbox == [] and not Invitation.objects.exists()


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "This preview could not be read"),
        ("made-up", "This preview could not be read"),
        (signing.dumps([[2, "Eve", "eve@example.com", "", ""]]), "This preview could not be read"),
    ],
)
def test_confirm_refuses_rows_it_did_not_sign(client, cohort, mentor, value, message):
    client.force_login(mentor)
    response = client.post(confirm_url(cohort), {"roster": value})
    assert response.status_code == 400
    assert message in response.text
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_a_preview_signed_for_another_cohort_or_mentor_is_refused(client, cohort, mentor, roadmap):
    other = Cohort.objects.create(name="Other", roadmap=roadmap)
    other.mentors.add(mentor)
    client.force_login(mentor)
    signed = signed_field(preview(client, cohort, "name,email\nAsha,asha@example.com\n"))
    assert client.post(confirm_url(other), {"roster": signed}).status_code == 400
    colleague = UserFactory(is_mentor=True)
    cohort.mentors.add(colleague)
    client.force_login(colleague)
    assert client.post(confirm_url(cohort), {"roster": signed}).status_code == 400
    assert mail.outbox == []


def test_an_old_preview_is_refused(client, cohort, mentor, monkeypatch):
    client.force_login(mentor)
    signed = signed_field(preview(client, cohort, "name,email\nAsha,asha@example.com\n"))
    later = timezone.now().timestamp() + 2 * 60 * 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    response = client.post(confirm_url(cohort), {"roster": signed})
    assert response.status_code == 400
    assert "more than an hour old" in response.text
    assert mail.outbox == []


def test_an_archived_cohort_imports_nothing(client, cohort, mentor, world):
    client.force_login(mentor)
    previewed = preview(client, cohort, ROSTER)
    services.cohort_set_active(cohort=cohort, active=False)
    response = confirm(client, cohort, previewed)
    assert response.status_code == 409
    assert "no longer taking students" in response.text
    assert cohort.students.count() == 1 and mail.outbox == []
    assert preview(client, cohort, ROSTER).status_code == 409
    assert "restore it to import" in client.get(upload_url(cohort)).text


def test_with_mail_off_the_preview_says_so_and_existing_accounts_still_join(
    client, cohort, mentor, world, settings
):
    settings.MAIL_DELIVERS = False
    client.force_login(mentor)
    previewed = preview(client, cohort, ROSTER)
    assert "This site does not send email" in previewed.text
    assert "Import: 1 join<" in previewed.text
    page = client.get(confirm(client, cohort, previewed)["Location"])
    assert world["kavya"] in cohort.students.all()
    assert "this site does not send email" in page.text
    assert mail.outbox == [] and Invitation.objects.count() == 1


def test_a_mail_that_fails_is_not_recorded_and_the_others_go(client, cohort, mentor, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    sent = EmailBackend.send_messages

    def refuse_one(self, messages):
        if messages[0].to == ["bounce@example.com"]:
            raise OSError("connection reset")
        return sent(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_one)
    client.force_login(mentor)
    text = "name,email\nAsha,asha@example.com\nBounce,bounce@example.com\nRavi,ravi@example.com\n"
    page = client.get(confirm(client, cohort, preview(client, cohort, text))["Location"])
    assert [message.to[0] for message in mail.outbox] == ["asha@example.com", "ravi@example.com"]
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "asha@example.com",
        "ravi@example.com",
    }
    assert "Invitations to bounce@example.com were not sent" in page.text
    # Uploading the same file later retries the one that failed, only.
    monkeypatch.setattr(EmailBackend, "send_messages", sent)
    confirm(client, cohort, preview(client, cohort, text))
    assert [message.to[0] for message in mail.outbox][2:] == ["bounce@example.com"]


def test_invitations_stop_before_the_request_times_out_and_the_next_import_sends_the_rest(
    client, cohort, mentor, monkeypatch
):
    clock = iter(range(0, 1000, 10))  # each look at the clock: 10 s later
    monkeypatch.setattr("cohorts.services.time.monotonic", lambda: next(clock))
    client.force_login(mentor)
    text = roster_of(3, "new")
    page = client.get(confirm(client, cohort, preview(client, cohort, text))["Location"])
    assert [message.to[0] for message in mail.outbox] == ["new0@example.com"]
    assert list(Invitation.objects.values_list("email", flat=True)) == ["new0@example.com"]
    assert "Invitations to new1@example.com, new2@example.com were not sent" in page.text
    assert "Upload the same file again to send them" in page.text
    confirm(client, cohort, preview(client, cohort, text))
    assert [message.to[0] for message in mail.outbox] == [f"new{n}@example.com" for n in (0, 1)]


@pytest.mark.parametrize(
    "upload, message",
    [
        (None, "Choose a CSV file to upload."),
        (("class.csv", b""), "The file is empty."),
        (("class.xlsx", b"PK\x03\x04\x14\x00 workbook"), "This is an Excel workbook, not a CSV"),
        (("class.csv", b"Roll,Batch\n1,2025\n"), "The file has no name and no email"),
        (("class.csv", b"name,email\n\x81\x8d,a@b.in\n"), "The file&#x27;s characters cannot"),
        (("class.csv", b"name,email\n" + b"a,b@c.in\n" * 130_000), "The file is larger than 1 MB"),
    ],
)
def test_bad_files_are_refused_in_words_and_change_nothing(client, cohort, mentor, upload, message):
    client.force_login(mentor)
    data = {"roster": SimpleUploadedFile(*upload)} if upload else {}
    response = client.post(upload_url(cohort), data)
    assert response.status_code == 400
    assert message in response.text
    assert 'type="file"' in response.text  # the form again, to try another file
    assert not Invitation.objects.exists() and mail.outbox == []


def test_the_row_limit_is_a_setting_said_on_the_page(client, cohort, mentor, settings):
    settings.WAYPOINT_ROSTER_MAX_ROWS = 3
    client.force_login(mentor)
    assert "Up to 1 MB and 3 students per file." in client.get(upload_url(cohort)).text
    rows = "".join(f"S{n},s{n}@example.com\n" for n in range(4))
    response = preview(client, cohort, "name,email\n" + rows)
    assert response.status_code == 400
    assert "The file has 4 students; the most Waypoint reads at once is 3." in response.text


# -- permissions -----------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, cohort):
    for response in (
        client.get(upload_url(cohort)),
        client.post(upload_url(cohort), {"roster": csv_file("name,email\nA,a@example.com\n")}),
        client.post(confirm_url(cohort), {"roster": "x"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["student of the cohort", "other mentor"])
def test_outsiders_get_404_and_change_nothing(client, cohort, mentor, roadmap, who):
    outsider = UserFactory(is_mentor=who == "other mentor")
    if who == "other mentor":
        Cohort.objects.create(name="Other", roadmap=roadmap).mentors.add(outsider)
    else:
        Membership.objects.create(cohort=cohort, student=outsider)
    # A genuine preview of the cohort's mentor, replayed by the outsider.
    client.force_login(mentor)
    signed = signed_field(preview(client, cohort, "name,email\nAsha,asha@example.com\n"))
    client.force_login(outsider)
    assert client.get(upload_url(cohort)).status_code == 404
    upload = {"roster": csv_file("name,email\nA,a@example.com\n")}
    assert client.post(upload_url(cohort), upload).status_code == 404
    assert client.post(confirm_url(cohort), {"roster": signed}).status_code == 404
    assert not Invitation.objects.exists() and mail.outbox == []


@pytest.mark.parametrize("who", ["mentor", "admin"])
def test_the_mentor_and_admins_import(client, cohort, mentor, who):
    client.force_login(mentor if who == "mentor" else UserFactory(is_staff=True))
    page = client.get(upload_url(cohort))
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert upload_url(cohort) in client.get(cohort.get_absolute_url()).text
    confirm(client, cohort, preview(client, cohort, "name,email\nAsha,asha@example.com\n"))
    assert Invitation.objects.get().email == "asha@example.com"


def test_confirm_is_post_only(client, cohort, mentor):
    client.force_login(mentor)
    assert client.get(confirm_url(cohort)).status_code == 405


def test_confirm_needs_the_csrf_token(cohort, mentor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mentor)
    page = client.get(upload_url(cohort))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    previewed = client.post(
        upload_url(cohort),
        {"roster": csv_file("name,email\nA,a@example.com\n"), "csrfmiddlewaretoken": token},
    )
    assert previewed.status_code == 200
    response = client.post(confirm_url(cohort), {"roster": signed_field(previewed)})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


# -- queries and real mail ---------------------------------------------------------


def roster_of(size, prefix):
    return "name,email\n" + "".join(f"P{n},{prefix}{n}@example.com\n" for n in range(size))


@pytest.mark.parametrize("size", [10, 200])
def test_confirm_for_new_people_runs_the_same_queries_for_10_and_200(
    client, cohort, mentor, size, django_assert_num_queries
):
    client.force_login(mentor)
    previewed = preview(client, cohort, roster_of(size, "new"))
    # Session and user (2), the cohort (1), still joinable (1), sorting (2: no
    # Membership query without accounts), then in one transaction: savepoint, lock,
    # invitations taken meanwhile, the insert of all of them, release (5).
    with django_assert_num_queries(11):
        confirm(client, cohort, previewed)
    assert Invitation.objects.count() == size == len(mail.outbox)


@pytest.mark.parametrize("size", [10, 200])
def test_confirm_for_existing_accounts_costs_a_fixed_count_per_person(
    client, cohort, mentor, size, django_assert_num_queries
):
    for n in range(size):
        UserFactory(email=f"old{n}@example.com")
    client.force_login(mentor)
    previewed = preview(client, cohort, roster_of(size, "old"))
    # The 7 of the preview's sorting and around it, then cohort_join, the one way to join,
    # in its own transaction per person: 11 each (7 statements and 4 savepoints).
    with django_assert_num_queries(7 + 11 * size):
        confirm(client, cohort, previewed)
    assert cohort.students.count() == size


def test_invitations_reach_a_real_smtp_server(client, cohort, mentor, smtp_server):
    client.force_login(mentor)
    text = "name,email\nĀrya Ünal,arya@example.com\nRavi,ravi@example.com\n"
    confirm(client, cohort, preview(client, cohort, text))
    assert sorted(message["To"] for message in smtp_server.messages) == [
        "arya@example.com",
        "ravi@example.com",
    ]
    received = next(m for m in smtp_server.messages if m["To"] == "arya@example.com")
    assert received["Subject"] == "Join CSE ML club on Waypoint"
    body = received.get_body(("plain",)).get_content()
    assert "Hello Ārya Ünal," in body
    assert JOIN_LINK.search(body)[1] == cohort.get_join_url()
    html = received.get_body(("html",)).get_content()
    assert cohort.get_join_url() in html
    assert Invitation.objects.count() == 2


def test_invitations_are_listed_in_the_admin(admin_client, cohort, mentor):
    Invitation.objects.create(
        cohort=cohort, email="om@example.com", name="Om", sent_at=timezone.now()
    )
    page = admin_client.get(reverse("admin:cohorts_invitation_changelist"))
    assert "om@example.com" in page.text
    assert admin_client.get(reverse("admin:cohorts_invitation_add")).status_code == 403
