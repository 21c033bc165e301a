"""Error codes and the one exception type that services raise.

Every refusal Bangfu gives has a stable code (an enum member), an HTTP status and a message
that says what was wrong, where and why. The API turns these into RFC 9457 problem+json; the
web forms show the message beside the field.
"""

from __future__ import annotations

from enum import StrEnum
from http import HTTPStatus

from django.utils.translation import gettext as _


class ErrorCode(StrEnum):
    # generic
    VALIDATION_ERROR = "validation_error"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    # authentication
    AUTH_REQUIRED = "auth_required"
    AUTH_INVALID_CREDENTIALS = "auth_invalid_credentials"
    AUTH_TOKEN_INVALID = "auth_token_invalid"
    AUTH_TOKEN_EXPIRED = "auth_token_expired"
    AUTH_THROTTLED = "auth_throttled"
    # regions
    REGION_NOT_FOUND = "region_not_found"
    REGION_CODE_MALFORMED = "region_code_malformed"
    REGION_CODE_LEVEL_MISMATCH = "region_code_level_mismatch"
    REGION_CODE_TAKEN = "region_code_taken"
    REGION_PARENT_INVALID = "region_parent_invalid"
    REGION_PARENT_CYCLE = "region_parent_cycle"
    # pairings
    PAIRING_NOT_FOUND = "pairing_not_found"
    PAIRING_SIDES_INVALID = "pairing_sides_invalid"
    PAIRING_YEARS_INVALID = "pairing_years_invalid"
    PAIRING_OVERLAP = "pairing_overlap"
    # audit
    AUDIT_APPEND_ONLY = "audit_append_only"
    # demo
    DEMO_REFUSED = "demo_refused"
    # resident ID numbers (registry/idnumber.py)
    ID_NUMBER_MISSING = "id_number_missing"
    ID_NUMBER_EXCEL_DAMAGED = "id_number_excel_damaged"
    ID_NUMBER_WRONG_LENGTH = "id_number_wrong_length"
    ID_NUMBER_MALFORMED = "id_number_malformed"
    ID_NUMBER_CHECKSUM = "id_number_checksum"
    ID_NUMBER_BIRTH_DATE_INVALID = "id_number_birth_date_invalid"
    ID_NUMBER_BIRTH_DATE_OUT_OF_RANGE = "id_number_birth_date_out_of_range"
    ID_NUMBER_BIRTH_DATE_MISMATCH = "id_number_birth_date_mismatch"
    ID_NUMBER_SEX_MISMATCH = "id_number_sex_mismatch"
    ID_NUMBER_DUPLICATE = "id_number_duplicate"
    # registry
    CODE_UNKNOWN = "code_unknown"
    HOUSEHOLD_NOT_FOUND = "household_not_found"
    HOUSEHOLD_HEAD_COUNT = "household_head_count"
    HOUSEHOLD_NO_MEMBERS = "household_no_members"
    WORKFLOW_TRANSITION_INVALID = "workflow_transition_invalid"
    WORKFLOW_POSTING_PERIOD = "workflow_posting_period"
    # import and export of files (registry/importers/)
    IMPORT_FILE_EMPTY = "import_file_empty"
    IMPORT_FILE_TYPE = "import_file_type"
    IMPORT_FILE_TOO_LARGE = "import_file_too_large"
    IMPORT_ENCODING = "import_encoding"
    IMPORT_HEADER = "import_header"
    IMPORT_CELL_INVALID = "import_cell_invalid"
    IMPORT_FORMULA = "import_formula"
    IMPORT_MERGED_CELLS = "import_merged_cells"
    IMPORT_DATE_INVALID = "import_date_invalid"
    IMPORT_ROWS_DISAGREE = "import_rows_disagree"
    IMPORT_REJECTED = "import_rejected"
    # monitoring (monitoring/)
    MONITORING_DATABASE = "monitoring_database"
    MONITORING_POLICY_MISSING = "monitoring_policy_missing"
    MONITORING_RUN_NOT_FOUND = "monitoring_run_not_found"
    ALERT_NOT_FOUND = "alert_not_found"
    ALERT_TRANSITION_INVALID = "alert_transition_invalid"
    CASE_NOT_FOUND = "case_not_found"
    CASE_TRANSITION_INVALID = "case_transition_invalid"
    CASE_NOT_ELIGIBLE = "case_not_eligible"
    # assistance (assistance/)
    PARTNER_NOT_FOUND = "partner_not_found"
    CAMPAIGN_NOT_FOUND = "campaign_not_found"
    SOCIAL_PAIRING_NOT_FOUND = "social_pairing_not_found"
    HELPER_NOT_FOUND = "helper_not_found"
    ASSIGNMENT_CONFLICT = "assignment_conflict"
    PLAN_NOT_FOUND = "plan_not_found"
    MEASURE_NOT_FOUND = "measure_not_found"
    MEASURE_TRANSITION_INVALID = "measure_transition_invalid"
    VISIT_NOT_FOUND = "visit_not_found"
    PHOTO_REJECTED = "photo_rejected"
    DONATION_NOT_FOUND = "donation_not_found"
    LEDGER_APPEND_ONLY = "ledger_append_only"
    DONATION_REVERSAL_INVALID = "donation_reversal_invalid"
    SECONDMENT_NOT_FOUND = "secondment_not_found"
    # projects and the fund ledger (projects/)
    LEDGER_MOVE_INVALID = "ledger_move_invalid"
    LEDGER_INSUFFICIENT_FUNDS = "ledger_insufficient_funds"
    LEDGER_MONTH_CLOSED = "ledger_month_closed"
    LEDGER_IDEMPOTENCY_CONFLICT = "ledger_idempotency_conflict"
    LEDGER_REVERSAL_INVALID = "ledger_reversal_invalid"
    PROJECT_NOT_FOUND = "project_not_found"
    PROJECT_TRANSITION_INVALID = "project_transition_invalid"
    DOCUMENT_REJECTED = "document_rejected"
    COOPERATIVE_NOT_FOUND = "cooperative_not_found"
    DIVIDENDS_INVALID = "dividends_invalid"


STATUS_BY_CODE: dict[ErrorCode, HTTPStatus] = {
    ErrorCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.REGION_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.PAIRING_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.HOUSEHOLD_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.MONITORING_RUN_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.ALERT_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.CASE_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.PARTNER_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.CAMPAIGN_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.SOCIAL_PAIRING_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.HELPER_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.PLAN_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.MEASURE_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.VISIT_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.DONATION_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.SECONDMENT_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.ASSIGNMENT_CONFLICT: HTTPStatus.CONFLICT,
    ErrorCode.MEASURE_TRANSITION_INVALID: HTTPStatus.CONFLICT,
    ErrorCode.DONATION_REVERSAL_INVALID: HTTPStatus.CONFLICT,
    ErrorCode.LEDGER_APPEND_ONLY: HTTPStatus.FORBIDDEN,
    ErrorCode.LEDGER_INSUFFICIENT_FUNDS: HTTPStatus.CONFLICT,
    ErrorCode.LEDGER_MONTH_CLOSED: HTTPStatus.CONFLICT,
    ErrorCode.LEDGER_IDEMPOTENCY_CONFLICT: HTTPStatus.CONFLICT,
    ErrorCode.LEDGER_REVERSAL_INVALID: HTTPStatus.CONFLICT,
    ErrorCode.PROJECT_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.PROJECT_TRANSITION_INVALID: HTTPStatus.CONFLICT,
    ErrorCode.DOCUMENT_REJECTED: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.COOPERATIVE_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.DIVIDENDS_INVALID: HTTPStatus.CONFLICT,
    ErrorCode.PHOTO_REJECTED: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.ALERT_TRANSITION_INVALID: HTTPStatus.CONFLICT,
    ErrorCode.CASE_TRANSITION_INVALID: HTTPStatus.CONFLICT,
    ErrorCode.ID_NUMBER_DUPLICATE: HTTPStatus.CONFLICT,
    ErrorCode.PERMISSION_DENIED: HTTPStatus.FORBIDDEN,
    ErrorCode.AUDIT_APPEND_ONLY: HTTPStatus.FORBIDDEN,
    ErrorCode.DEMO_REFUSED: HTTPStatus.FORBIDDEN,
    ErrorCode.AUTH_REQUIRED: HTTPStatus.UNAUTHORIZED,
    ErrorCode.AUTH_INVALID_CREDENTIALS: HTTPStatus.UNAUTHORIZED,
    ErrorCode.AUTH_TOKEN_INVALID: HTTPStatus.UNAUTHORIZED,
    ErrorCode.AUTH_TOKEN_EXPIRED: HTTPStatus.UNAUTHORIZED,
    ErrorCode.AUTH_THROTTLED: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.REGION_CODE_TAKEN: HTTPStatus.CONFLICT,
    ErrorCode.PAIRING_OVERLAP: HTTPStatus.CONFLICT,
}


class BangfuError(Exception):
    """A refusal with a stable code, a human message and, where known, the offending field."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def status(self) -> HTTPStatus:
        return STATUS_BY_CODE.get(self.code, HTTPStatus.BAD_REQUEST)

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.code}{where}: {self.message}"


def invalid(message: str, field: str) -> BangfuError:
    """A refusal of a value a user gave, naming the form field, file column or API field."""
    return BangfuError(ErrorCode.VALIDATION_ERROR, message, field=field)


def not_found(code: ErrorCode = ErrorCode.NOT_FOUND, what: str | None = None) -> BangfuError:
    """The same answer whether the object is absent or merely outside the user's view scope."""
    return BangfuError(
        code,
        _("No {what} with that identifier is visible to you.").format(what=what or _("object")),
    )
