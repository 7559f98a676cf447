import ipaddress
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http.request import split_domain_port, validate_host
from django.utils.deconstruct import deconstructible

from .models import Item, Status, validate_portfolio_name
from .models.progress import COUNT_MAX, EVIDENCE_URL_MAX_LENGTH, NOTE_MAX_LENGTH
from .models.public_pages import HEADLINE_MAX_LENGTH, LINK_MAX_LENGTH, NAME_MAX_LENGTH
from .services import CATCH_UP_MAX_ITEMS

# A count this many times over the target is a typo, not diligence.
COUNT_TARGET_FACTOR = 10

# Fields a progress POST may carry; the POST says the state it wants, not "toggle".
CHANGE_FIELDS = ["status", "count", "note", "evidence_url"]

CREDENTIALS = (
    "Remove the user name or password from the link (the part before @): "
    "everyone who opens it would see them."
)
NOT_PUBLIC = (
    "Use a public web address: a link to localhost, this computer or a private "
    "network cannot be opened by anyone else."
)
OWN_SITE = (
    "Link to where the work itself lives (a repository, a deployed app, a certificate), "
    "not to a Waypoint page."
)


@deconstructible
class PublicURLValidator:
    """Refuse a URL a person should not hand to others: one carrying a user name or
    password; one whose host is localhost or an IP literal that is not public
    (loopback, 0.0.0.0, private, link-local, shared, reserved; IPv4-mapped IPv6
    included); one pointing at Waypoint itself (``ALLOWED_HOSTS`` patterns, except
    "*", and the request's ``host`` when given). Raises ValidationError with one of
    CREDENTIALS, NOT_PUBLIC, OWN_SITE. Host names are not resolved: a public name
    that resolves to a private address is not caught here.

    Run it after ``URLValidator``, which has already checked the shape of the URL.
    """

    def __init__(self, host: str | None = None):
        self.host = host

    def __call__(self, value: str):
        parts = urlsplit(value)
        if "@" in parts.netloc:
            raise ValidationError(CREDENTIALS, code="credentials")
        host = (parts.hostname or "").rstrip(".")
        if host == "localhost" or host.endswith(".localhost"):
            raise ValidationError(NOT_PUBLIC, code="not_public")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None:
            if address.version == 6 and address.ipv4_mapped:
                address = address.ipv4_mapped
            if not address.is_global:
                raise ValidationError(NOT_PUBLIC, code="not_public")
        own = [pattern for pattern in settings.ALLOWED_HOSTS if pattern != "*"]
        if self.host:
            own.append(split_domain_port(self.host)[0])
        if host and validate_host(host, own):
            raise ValidationError(OWN_SITE, code="own_site")

    def __eq__(self, other):
        return isinstance(other, PublicURLValidator) and self.host == other.host


class ProgressForm(forms.Form):
    """The state a student wants for one item. Only the fields present in the POST
    are changed, so each small form on the checklist carries just its own field."""

    status = forms.ChoiceField(
        choices=Status.choices,
        required=False,
        error_messages={
            "invalid_choice": "Choose one of: not started, in progress, done, skipped."
        },
    )
    count = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=COUNT_MAX,
        error_messages={
            "invalid": "Enter a whole number.",
            "min_value": "The count cannot be negative.",
            "max_value": f"The count cannot be more than {COUNT_MAX:,}.",
        },
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": "Keep the note under %(limit_value)d characters (it has %(show_value)d)."
        },
    )
    evidence_url = forms.CharField(
        required=False,
        max_length=EVIDENCE_URL_MAX_LENGTH,
        validators=[
            URLValidator(
                schemes=["http", "https"],
                message="Evidence must be a web address starting with http:// or https://.",
            )
        ],
        error_messages={"max_length": "That link is too long (over %(limit_value)d characters)."},
    )
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, data, *, item: Item, host: str | None = None):
        """``host``: the request's host, so a link to this very site is refused too."""
        super().__init__(data)
        self.item = item
        self.fields["evidence_url"].validators.append(PublicURLValidator(host=host))

    def clean(self):
        cleaned = super().clean()
        if not any(name in self.data for name in CHANGE_FIELDS):
            raise forms.ValidationError("Nothing to save: the form carried no change.")
        count = cleaned.get("count")
        if "count" in self.data and count is not None:
            if not self.item.target_count:
                self.add_error("count", "This item is not counted.")
            elif count > self.item.target_count * COUNT_TARGET_FACTOR:
                self.add_error(
                    "count",
                    f"That is more than {COUNT_TARGET_FACTOR} times the target "
                    f"({self.item.target_label}); please check the number.",
                )
        if "status" in self.data and not cleaned.get("status") and "status" not in self.errors:
            self.add_error("status", "Choose one of: not started, in progress, done, skipped.")
        if "count" in self.data and count is None and "count" not in self.errors:
            self.add_error("count", "Enter a whole number.")
        return cleaned

    def changes(self) -> dict:
        """The fields this POST asked to change, cleaned."""
        return {name: self.cleaned_data[name] for name in CHANGE_FIELDS if name in self.data}


class CatchUpForm(forms.Form):
    """The items a student ticked on the catch-up page, each as "<item id>:<version>"
    (the ``Progress.version`` the page showed, 0 when there is no row yet).

    Checks the shape of the list only: ``ticked`` holds {item id: version}. Which ids
    belong to the roadmap, archived items and stale versions are the service's rules
    (``roadmap.services.progress_catch_up``), since only the database can tell.
    """

    def __init__(self, data):
        super().__init__(data)
        self.ticked: dict[int, int] = {}

    def clean(self):
        values = self.data.getlist("item")
        if not values:
            raise forms.ValidationError(
                "Nothing was ticked. Tick the items you have already done, then save."
            )
        if len(values) > CATCH_UP_MAX_ITEMS:
            raise forms.ValidationError(
                f"That list has {len(values):,} items; a catch-up takes at most "
                f"{CATCH_UP_MAX_ITEMS}. Nothing was changed."
            )
        for value in values:
            pk, _, version = value.partition(":")
            if not (_small_number(pk, 18) and _small_number(version, 9)):
                raise forms.ValidationError(
                    "The list could not be read, so nothing was changed. Reload the page "
                    "and tick the items again."
                )
            pk, version = int(pk), int(version)
            if pk in self.ticked:
                raise forms.ValidationError(
                    "The same item was sent twice, so nothing was changed. Reload the page "
                    "and tick the items again."
                )
            self.ticked[pk] = version
        return super().clean()


def _small_number(text: str, digits: int) -> bool:
    """A whole number of at most ``digits`` ASCII digits (no sign, no spaces)."""
    return text.isascii() and text.isdigit() and len(text) <= digits


# Where each profile link must point (the host, or a subdomain of it, e.g. in.linkedin.com).
PROFILE_HOSTS = {
    "github_url": ("GitHub", "github.com"),
    "kaggle_url": ("Kaggle", "kaggle.com"),
    "linkedin_url": ("LinkedIn", "linkedin.com"),
}


def _link_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=LINK_MAX_LENGTH,
        validators=[
            URLValidator(
                schemes=["http", "https"],
                message="Use a web address starting with https:// (or http://).",
            )
        ],
        error_messages={"max_length": "That link is too long (over %(limit_value)d characters)."},
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url"}),
    )


class PortfolioForm(forms.Form):
    """A student's public page settings: on or off, its address name, headline, links,
    whether search engines may list it, and which of their done items it shows
    (``choices``: the student's done Progress rows, from roadmap.portfolio.done_progress).

    ``name`` is lower-cased, then must pass ``validate_portfolio_name``; it is required
    to turn the page on. Links must be http(s), public, not Waypoint's own, and the
    GitHub, Kaggle and LinkedIn ones on those sites. Whether the name is taken is the
    service's question (``portfolio_update`` raises NameTaken)."""

    is_public = forms.BooleanField(label="Show my public page", required=False)
    name = forms.CharField(
        label="Address name",
        required=False,
        max_length=NAME_MAX_LENGTH,
        error_messages={
            "max_length": "Use at most %(limit_value)d characters (this has %(show_value)d)."
        },
        widget=forms.TextInput(
            attrs={"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}
        ),
    )
    headline = forms.CharField(
        label="Headline",
        required=False,
        max_length=HEADLINE_MAX_LENGTH,
        error_messages={
            "max_length": "Keep the headline under %(limit_value)d characters "
            "(it has %(show_value)d)."
        },
    )
    github_url = _link_field("GitHub")
    kaggle_url = _link_field("Kaggle")
    linkedin_url = _link_field("LinkedIn")
    blog_url = _link_field("Blog")
    searchable = forms.BooleanField(label="Let search engines list my page", required=False)
    items = forms.MultipleChoiceField(
        label="Items to show",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "That item is not one of your done items; reload the page "
            "and choose again. Nothing was saved."
        },
    )

    def __init__(self, *args, choices, host: str | None = None, **kwargs):
        """``host``: the request's host, so a link to this very site is refused too."""
        super().__init__(*args, label_suffix="", **kwargs)
        self.progress_by_item = {str(row.item_id): row for row in choices}
        self.fields["items"].choices = [
            (pk, row.item.title) for pk, row in self.progress_by_item.items()
        ]
        for name in ("github_url", "kaggle_url", "linkedin_url", "blog_url"):
            self.fields[name].validators.append(PublicURLValidator(host=host))

    def clean_name(self):
        name = self.cleaned_data["name"].strip().lower()
        if name:
            validate_portfolio_name(name)
        return name

    def clean(self):
        cleaned = super().clean()
        for field, (site, host) in PROFILE_HOSTS.items():
            url = cleaned.get(field)
            if not url:
                continue
            url_host = (urlsplit(url).hostname or "").rstrip(".")
            if url_host != host and not url_host.endswith(f".{host}"):
                self.add_error(field, f"Use a link to your {site} profile, on {host}.")
        if cleaned.get("is_public") and not cleaned.get("name") and "name" not in self.errors:
            self.add_error("name", "Choose an address name to turn your page on.")
        return cleaned

    def chosen_items(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data["items"]]
