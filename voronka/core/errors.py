"""Domain errors: each carries a machine-readable code and a message a user can read.

Views turn them into form errors or flash messages, the API into 4xx JSON with the code.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    status = 400
    default_message = _("The operation is not allowed.")

    def __init__(self, message=None, *, field: str | None = None, details: dict | None = None):
        self.message = message or self.default_message
        self.field = field
        self.details = details or {}
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    """Input that breaks a validation rule the form or schema cannot express (a file's type,
    a control character). Pages show it as a form error (400); the API answers 422, like its
    other validation errors, not 409 (nothing in the current data conflicts)."""

    code = "invalid_input"


class StageNotInPipeline(DomainError):
    code = "stage_not_in_pipeline"
    default_message = _("The stage belongs to another pipeline.")


class StageExitRequirementMissing(DomainError):
    code = "stage_exit_requirement_missing"
    default_message = _("The stage's exit requirements are not met.")


class LostReasonRequired(DomainError):
    code = "lost_reason_required"
    default_message = _("Choose a reason why the deal was lost.")


class DealClosed(DomainError):
    code = "deal_closed"
    default_message = _("The deal is closed; reopen it first.")


class DealNotClosed(DomainError):
    code = "deal_not_closed"
    default_message = _("The deal is still open.")


class StaleVersion(DomainError):
    code = "stale_version"
    status = 409
    default_message = _(
        "Someone else changed this deal after you opened it. Reload it and apply your change again."
    )


class InvalidAmount(DomainError):
    code = "invalid_amount"
    default_message = _("The amount must be zero or positive.")


class InvalidOwner(DomainError):
    code = "invalid_owner"
    default_message = _("That user cannot own deals.")


class HistoryIsAppendOnly(DomainError):
    code = "history_append_only"
    default_message = _("History rows are never edited or deleted.")


class NotPermitted(DomainError):
    code = "not_permitted"
    status = 403
    default_message = _("You do not have permission to do this.")


class PastMomentNotPermitted(DomainError):
    code = "past_moment_not_permitted"
    status = 403
    default_message = _("Only administrators may record an action at a past moment.")


class InvalidMoment(DomainError):
    # A well-formed moment that conflicts with the deal's history: the API answers 409, like
    # every business rule (a 422 is kept for what the schema itself refuses).
    code = "invalid_moment"
    default_message = _("The moment is outside the deal's history.")


class ControlCharacters(InvalidInput):
    code = "control_characters"
    default_message = _(
        "The text contains an invisible control character; remove it (it often comes with text "
        "pasted from another program)."
    )
