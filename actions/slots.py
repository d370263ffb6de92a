"""Names shared by the request forms and actions."""

from __future__ import annotations

# The answer stored in `service` when the customer does not name one.
NO_SERVICE = "(not specified)"

# Everything the privacy request form collects; cleared once a ticket is opened or cancelled.
REQUEST_FORM_SLOTS: list[str] = [
    "request_type",
    "requester_name",
    "email",
    "service",
    "details",
    "confirmation",
    "submission_marker",
]
STATUS_FORM_SLOTS: list[str] = ["status_reference", "status_email"]

REQUEST_TYPE_LABELS = {
    "disclosure": "disclosure",
    "correction": "correction",
    "stop_use": "stop-use",
    "erasure": "erasure",
    "stop_third_party_provision": "stop third-party provision",
    "inquiry": "inquiry",
    "complaint": "complaint",
}
REQUEST_TYPE_DESCRIPTIONS = {
    "disclosure": "Disclosure of the personal data CASIO holds about you",
    "correction": "Correction (modification, addition or deletion) of your data",
    "stop_use": "Stop using your personal data",
    "erasure": "Erasure of your personal data",
    "stop_third_party_provision": "Stop providing your data to third parties",
    "inquiry": "Inquiry to the Help Desk",
    "complaint": "Complaint to the Help Desk",
}


def request_type_label(request_type: str) -> str:
    return REQUEST_TYPE_LABELS.get(request_type, request_type.replace("_", " "))
