from django import forms

from .models import Cohort, split_domains


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
