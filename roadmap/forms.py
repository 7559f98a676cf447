from django import forms
from django.core.validators import URLValidator

from .models import Item, Status
from .models.progress import COUNT_MAX, EVIDENCE_URL_MAX_LENGTH, NOTE_MAX_LENGTH

# A count this many times over the target is a typo, not diligence.
COUNT_TARGET_FACTOR = 10

# Fields a progress POST may carry; the POST says the state it wants, not "toggle".
CHANGE_FIELDS = ["status", "count", "note", "evidence_url"]


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

    def __init__(self, data, *, item: Item):
        super().__init__(data)
        self.item = item

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
