"""Control characters are refused by every form of the project (and kept out of new ones).

The forms are found by walking the subclasses of Django's BaseForm after the URL configuration
and every app's `forms` module are imported, so a new form is checked without editing this file.
"""

import contextlib
import inspect
from importlib import import_module

import pytest
from django import forms
from django.apps import apps
from django.urls import get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import UserFactory, make_deal
from voronka.catalog.models import Product
from voronka.core.control_characters import (
    ControlCharacterGuard,
    find_control_character,
    reject_control_characters,
)
from voronka.core.errors import ControlCharacters

# The login form only compares text with stored credentials (SEC-A owns it); nothing is stored.
EXEMPT_FORMS = {"voronka.accounts.forms.LoginForm"}


def _project_forms() -> list[type[forms.BaseForm]]:
    assert get_resolver().url_patterns  # imports every view module and the forms they use
    for app in apps.get_app_configs():
        if app.name.startswith("voronka."):
            with contextlib.suppress(ModuleNotFoundError):
                import_module(f"{app.name}.forms")
    found, pending = set(), [forms.BaseForm]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.startswith("voronka.") and ".tests" not in subclass.__module__:
                found.add(subclass)
    return sorted(found, key=lambda form: f"{form.__module__}.{form.__qualname__}")


PROJECT_FORMS = _project_forms()


def _dotted(form_class) -> str:
    return f"{form_class.__module__}.{form_class.__qualname__}"


def test_the_rule_refuses_controls_but_keeps_tab_and_newlines():
    assert find_control_character("Line one\nline two\r\n\tindented") is None
    for character in ("\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\x9f"):
        assert find_control_character(f"a{character}b") == character
    with pytest.raises(ControlCharacters) as refused:
        reject_control_characters("Ctrl\x01Char Co", field="name")
    assert refused.value.field == "name"
    assert "U+0001" in str(refused.value.message)
    assert reject_control_characters("Ромашка\n") == "Ромашка\n"


def test_a_lone_surrogate_is_refused_like_a_control_character():
    # JSON's "\ud800" decodes to one; PostgreSQL cannot store it (seen as a 500 in a fuzz run).
    assert find_control_character("Ромашка\ud800") == "\ud800"
    assert find_control_character("emoji 🙂 stays") is None
    with pytest.raises(ControlCharacters) as refused:
        reject_control_characters("x\udfff", field="name")
    assert "U+DFFF" in str(refused.value.message)


def test_forms_were_found():
    names = {_dotted(form) for form in PROJECT_FORMS}
    assert {"voronka.crm.forms.CompanyForm", "voronka.pipeline.forms.DealCreateForm"} <= names


@pytest.mark.parametrize("form_class", PROJECT_FORMS, ids=_dotted)
def test_every_form_guards_its_text_fields(form_class):
    if _dotted(form_class) in EXEMPT_FORMS:
        return
    assert issubclass(form_class, ControlCharacterGuard), (
        f"{_dotted(form_class)}: add voronka.core.control_characters.ControlCharacterGuard "
        "to its bases"
    )


@pytest.fixture
def form_arguments(db, admin_user):
    deal = make_deal(owner=UserFactory(role="manager"))
    return {
        "user": admin_user,
        "deal": deal,
        "owners": admin_user.__class__.objects.all(),
        "products": Product.objects.all(),
        "max_bytes": 1_000_000,
    }


def _instances(form_class, arguments, data=None):
    """The form built as its views build it; DealFieldForm once per text field it edits."""
    needed = [
        name
        for name, parameter in inspect.signature(form_class.__init__).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty
    ]
    if "field_name" in needed:
        return [
            form_class(data, field_name=name, user=arguments["user"], deal=arguments["deal"])
            for name in ("title", "description")
        ]
    if issubclass(form_class, forms.ModelForm) and form_class._meta.model is None:
        return []  # an abstract base of model forms
    if any(name not in arguments for name in needed):
        return []  # forms built from import jobs hold choices only
    return [form_class(data, **{name: arguments[name] for name in needed})]


TEXT = st.text(
    st.sampled_from(list("=+-@\t\r\n\x00\x01\x08\x0b\x1b\x1f\x7f\x85 aZя1;'\"<>&%"))
    | st.characters(),
    max_size=40,
)


@pytest.mark.parametrize(
    "form_class",
    [form for form in PROJECT_FORMS if _dotted(form) not in EXEMPT_FORMS],
    ids=_dotted,
)
def test_text_fields_never_let_a_control_character_through(form_class, form_arguments):
    templates = _instances(form_class, form_arguments)
    text_fields = {
        name
        for form in templates
        for name, field in form.fields.items()
        if isinstance(field, forms.CharField)
    }
    if not text_fields:
        pytest.skip("no text fields")

    @settings(
        max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(values=st.fixed_dictionaries({name: TEXT for name in sorted(text_fields)}))
    def check(values):
        for form in _instances(form_class, form_arguments, data=values):
            valid = form.is_valid()  # never raises
            for name in text_fields & set(form.fields):
                if valid or name not in form.errors:
                    cleaned = form.cleaned_data.get(name)
                    assert not (isinstance(cleaned, str) and find_control_character(cleaned)), (
                        f"{name} accepted {cleaned!r}"
                    )

    check()
