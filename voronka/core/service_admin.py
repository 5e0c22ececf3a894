"""The Django admin writes through the domain services too (one write path).

`ServiceWriteAdmin` checks a change by running the service in a savepoint that is rolled back
while the form is cleaned, so a refused change (an INN of 9 digits, a viewer as owner) is a
form error on its field; saving and deleting then call the service for real.
"""

from django.contrib import admin, messages
from django.db import transaction

from voronka.core.errors import DomainError


class _DryRun(Exception):
    """Rolls the trial write back."""


class ServiceWriteAdmin(admin.ModelAdmin):
    service_fields: frozenset = frozenset()

    def service_create(self, request, fields: dict):
        raise NotImplementedError

    def service_update(self, request, obj, fields: dict):
        raise NotImplementedError

    def service_delete(self, request, obj) -> None:
        raise NotImplementedError

    def _write(self, request, obj, form):
        fields = {
            name: value for name, value in form.cleaned_data.items() if name in self.service_fields
        }
        if obj is None or obj.pk is None:
            return self.service_create(request, fields)
        changed = {name: value for name, value in fields.items() if name in form.changed_data}
        return self.service_update(request, type(obj).objects.get(pk=obj.pk), changed)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        model_admin = self

        class ServiceCheckedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if self.errors:
                    return cleaned
                try:
                    with transaction.atomic():
                        model_admin._write(request, self.instance, self)
                        raise _DryRun
                except _DryRun:
                    pass
                except DomainError as error:
                    self.add_error(
                        error.field if error.field in self.fields else None, str(error.message)
                    )
                return cleaned

        return ServiceCheckedForm

    def save_model(self, request, obj, form, change):
        saved = self._write(request, obj if change else None, form)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        try:
            self.service_delete(request, obj)
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
