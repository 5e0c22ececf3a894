"""Forms of the import wizard: upload, column mapping, value mapping, start."""

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.core.control_characters import ControlCharacterGuard

from .fields import fields_for
from .models import ImportJob, ImportKind, OnMatch
from .services import NEW, UnknownValue

ACCEPTED_EXTENSIONS = {".csv", ".txt", ".tsv", ".xlsx"}


class UploadForm(ControlCharacterGuard, forms.Form):
    kind = forms.ChoiceField(label=_("The file contains"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.too_large = False

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() not in ACCEPTED_EXTENSIONS:
            raise forms.ValidationError(_("Upload a CSV or XLSX file."))
        if upload.size > self.max_bytes:
            self.too_large = True
            raise forms.ValidationError(
                _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {"size": round(upload.size / 2**20, 1), "limit": round(self.max_bytes / 2**20)}
            )
        return upload


class MappingForm(ControlCharacterGuard, forms.Form):
    """One select per importable field; the choice is a column of the file."""

    def __init__(self, *args, job: ImportJob, samples: list[list[str]], **kwargs):
        super().__init__(*args, **kwargs)
        columns = [("", _("— do not import —"))]
        for index, header in enumerate(job.headers):
            label = header or f"#{index + 1}"
            if samples[index]:
                label = f"{label} ({', '.join(samples[index])})"
            columns.append((str(index), label[:120]))
        for item in fields_for(job.kind):
            current = job.mapping.get(item.key)
            self.fields[item.key] = forms.ChoiceField(
                label=item.label,
                choices=columns,
                required=False,
                initial="" if current is None else str(current),
            )
            self.fields[item.key].is_required_field = item.required

    def mapping(self) -> dict[str, int]:
        return {
            key: int(value) for key, value in self.cleaned_data.items() if value not in ("", None)
        }


class ValuesForm(ControlCharacterGuard, forms.Form):
    """For each unknown stage/owner/source/reason value of the file: what it stands for."""

    def __init__(
        self,
        *args,
        unknown: dict[str, list[UnknownValue]],
        options: dict[str, list[tuple[str, str]]],
        labels: dict[str, str],
        closing: dict[str, list[tuple[str, str]]] | None = None,
        closing_initial: dict | None = None,
        departments: list[tuple[str, str]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.rows: list[tuple[str, str, UnknownValue]] = []  # (field name, key, value)
        self.groups: list[tuple[str, list[str]]] = []
        # Where closed deals ended when the file does not say (deals files with outcomes).
        self.closing_names: list[str] = []
        for name, label in (
            ("won_stage", _("Won deals without a stage in the file")),
            ("lost_stage", _("Lost deals without a stage in the file")),
        ):
            if closing and name in closing:
                self.fields[name] = forms.ChoiceField(
                    label=label,
                    choices=closing[name],
                    required=False,
                    initial=(closing_initial or {}).get(name, closing[name][0][0]),
                )
                self.closing_names.append(name)
        for key, values in unknown.items():
            choices = [("", _("— choose —"))]
            if key == "product_name":
                choices = [("", _("Create it"))]  # an unmapped product name is created
            elif key in {"lead_source", "lost_reason"}:
                choices.append((NEW, _("Create it")))
            elif key == "owner":
                choices.append((NEW, _("Create a user (an admin invites them later)")))
            choices += options.get(key, [])
            names = []
            for number, value in enumerate(values):
                name = f"{key}-{number}"
                self.fields[name] = forms.ChoiceField(
                    label=value.value, choices=choices, required=False, initial=value.chosen
                )
                self.fields[name].rows_in_file = value.rows
                self.rows.append((name, key, value))
                names.append(name)
            self.groups.append((labels.get(key, key), names))

        if "owner" in unknown and departments is not None:
            self.fields["owner_department"] = forms.ChoiceField(
                label=_("Department of the new users"),
                choices=[("", _("— none —")), *departments],
                required=False,
                initial=str((closing_initial or {}).get("owner_department") or ""),
            )
            self.closing_names.append("owner_department")

    def options(self) -> dict[str, str] | None:
        if not self.closing_names:
            return None
        return {name: self.cleaned_data.get(name) or "" for name in self.closing_names}

    def value_map(self) -> dict[str, dict[str, str]]:
        result: dict[str, dict[str, str]] = {}
        for name, key, value in self.rows:
            choice = self.cleaned_data.get(name) or ""
            if choice:
                result.setdefault(key, {})[value.value] = choice
        return result


class StartForm(ControlCharacterGuard, forms.Form):
    on_match = forms.ChoiceField(
        label=_("When a row matches an existing record"),
        choices=OnMatch.choices,
        initial=OnMatch.UPDATE,
        widget=forms.RadioSelect,
    )
    valid_only = forms.BooleanField(
        label=_("Import the valid rows and skip the rows with errors"), required=False
    )
