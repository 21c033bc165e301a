"""Forms: parse and show input; rules live in the services, whose errors land on the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bangfu.core.errors import BangfuError
from bangfu.regions.models import RegionLevel


class ChildRegionForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=15, help_text=_("12 digits (15 for a natural village).")
    )
    name_zh = forms.CharField(label=_("Chinese name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    level = forms.TypedChoiceField(label=_("Level"), choices=RegionLevel.choices, coerce=int)
    former_poor_county = forms.BooleanField(label=_("Former poor county"), required=False)
    key_county = forms.BooleanField(label=_("National key assisted county"), required=False)


class RegionEditForm(forms.Form):
    name_zh = forms.CharField(label=_("Chinese name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    former_poor_county = forms.BooleanField(label=_("Former poor county"), required=False)
    key_county = forms.BooleanField(label=_("National key assisted county"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)


class PairingForm(forms.Form):
    east_code = forms.CharField(label=_("Eastern code"), max_length=15)
    west_code = forms.CharField(label=_("Western code"), max_length=15)
    start_year = forms.IntegerField(label=_("Start year"), min_value=1978, max_value=2100)
    end_year = forms.IntegerField(
        label=_("End year"), min_value=1978, max_value=2100, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class PairingEditForm(forms.Form):
    start_year = forms.IntegerField(label=_("Start year"), min_value=1978, max_value=2100)
    end_year = forms.IntegerField(
        label=_("End year"), min_value=1978, max_value=2100, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)


def attach_error(form: forms.Form, error: BangfuError) -> None:
    """Show a service refusal beside its field (or above the form when it names none)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, f"{error.message} [{error.code}]")
