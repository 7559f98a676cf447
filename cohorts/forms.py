from django import forms
from django.core.exceptions import ValidationError

from .models import NUDGE_MESSAGE_MAX_LENGTH, Cohort, split_domains
from .overview import BEHIND, INACTIVE

ID_MAX = 2**63 - 1  # the largest id a database column holds


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["name", "roadmap", "email_domains"]
        labels = {"name": "Cohort name"}
        help_texts = {"name": "e.g. CSE batch 2027 — ML club"}

    def __init__(self, *args, roadmaps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roadmap"].queryset = roadmaps
        self.fields["roadmap"].empty_label = None

    def clean_email_domains(self):
        # Stored as written by nobody in particular: "college.edu, students.college.edu".
        return ", ".join(split_domains(self.cleaned_data["email_domains"]))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("verify", "Verify"), ("return", "Send back")],
        error_messages={"invalid_choice": "Choose to verify the evidence or send it back."},
    )
    comment = forms.CharField(
        required=False,
        max_length=1000,
        error_messages={"max_length": "Keep the comment under %(limit_value)d characters."},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say what is missing, so the student knows what to fix.")
        return cleaned

    def first_error(self) -> str:
        return next(iter(error for errors in self.errors.values() for error in errors))


class CohortActiveForm(forms.Form):
    """Archive (0) or restore (1) a cohort: the two values the dashboard's button posts."""

    active = forms.TypedChoiceField(
        choices=[("0", "Archive"), ("1", "Restore")],
        coerce=lambda value: value == "1",
        error_messages={
            "required": "Choose to archive (0) or restore (1) the cohort.",
            "invalid_choice": "Choose to archive (0) or restore (1) the cohort.",
        },
    )


class StudentIdsField(forms.Field):
    """The ids of the students ticked (``?student=3&student=8``), as a list of whole
    numbers without repeats. Anything else is refused with a message, not a 500; which
    ids are in the cohort is the view's question (a 404)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Choose at least one student to nudge.",
        "invalid": "Choose students from the list: “%(value)s” is not one.",
    }

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value]
        ids = []
        for raw in values:
            text = "" if raw is None else str(raw).strip()
            if not text:  # an empty box in a hand-made query: nothing chosen there
                continue
            if not (text.isascii() and text.isdecimal() and int(text) <= ID_MAX):
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": text[:20]}
                )
            ids.append(int(text))
        return list(dict.fromkeys(ids))


class NudgePickForm(forms.Form):
    """Who the nudge page starts with: students ticked on the dashboard, or every
    student of a pace (the dashboard's quick buttons)."""

    student = StudentIdsField(required=False)
    pace = forms.ChoiceField(
        choices=[("", "Students ticked"), (INACTIVE, "Inactive"), (BEHIND, "Behind pace")],
        required=False,
        error_messages={"invalid_choice": "Choose inactive students or students behind pace."},
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned["student"] and not cleaned["pace"]:
            self.add_error("student", StudentIdsField.default_error_messages["required"])
        return cleaned


class NudgeForm(forms.Form):
    student = StudentIdsField()
    message = forms.CharField(
        label="Message",
        max_length=NUDGE_MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="Each student gets it by mail, with a greeting, your name and a link to "
        "their dashboard. Replies come to your address.",
        error_messages={
            "required": "Write a message to send.",
            "max_length": "Keep the message under %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
    )
