"""The claim's form, which refuses a stale page, and the change-status form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.utils.text import Truncator

from claims.models import Claim, Evidence, Status

from .history import stale_messages


class ClaimForm(ModelForm):
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Claim
        fields = Claim.EDITABLE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields[
                "slug"
            ].help_text = "Left empty, it is made from the text. Fixed once published."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if self.instance.pk and loaded is not None and loaded != self.instance.version:
            raise ValidationError(stale_messages(self.instance, loaded))
        return cleaned


class EvidenceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Evidence) -> str:
        note = f" — {Truncator(obj.note).chars(80)}" if obj.note else ""
        return f"{obj.document} ({obj.get_stance_display().lower()}){note}"


class ChangeStatusForm(forms.Form):
    status = forms.ChoiceField(label="New status")
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the verdict changes; shown in the public timeline.",
    )
    evidence = EvidenceChoiceField(
        queryset=Evidence.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Rests on",
        help_text="Every status but unverified rests on at least one piece of "
        "this claim's evidence.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, *, claim: Claim, may_set_final: bool, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        # No status is preselected: a verdict is chosen, never defaulted into.
        self.fields["status"].choices = [("", "— choose —")] + [
            (value, label)
            for value, label in Status.choices
            if value != claim.status and (may_set_final or value not in Status.final())
        ]
        self.fields["evidence"].queryset = claim.evidence.select_related("document")
        self.fields["version"].initial = claim.version
