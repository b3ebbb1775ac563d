"""Artwork approval: mockup versions, Send for Approval, the client's decision, the written
(immutable) approval record, and the approval gate's question `current_approved`.

A version is never edited: a mistaken one is withdrawn. A version's state is read from its
columns and records: withdrawn; decided (the newest record for it); replaced (a newer version
was sent, or, for one never sent, a newer one exists); sent ("awaiting the client"); draft.
An approval is bound to the version and its file's SHA-256: a newer version uploaded after it
means the job's current artwork is not approved.

Who wins a race: every writer here first locks the job's row (PostgreSQL: SELECT ... FOR
UPDATE; SQLite serializes writers itself), and a decision claims `decided_at` with one
conditional UPDATE, so of two decisions at the same moment exactly one is recorded.

Where each part lives (everything public is imported here, so callers write `mockups.NAME`):

- `limits`: the fixed numbers and words (upload size and types, previews, checklist and pin
  limits, `DECISIONS`, `APPROVALS`, `METHODS`, `NOT_IN_PORTAL`).
- `access`: who may read a mockup's files; importing it registers that reader with `files`.
- `views`: what the pages get (`VersionView`, `RecordView`, `JobMockups`, `PortalProof`, `size_text`).
- `facts`: a job's versions and records read once (`_Facts`), a version's state, `current_approved`,
  `awaiting_answer`.
- `locking`: the job's row locked for a change (`_lock_job`), a version by id.
- `previews`: the file checks (PDF page count and size) and the PNG previews rendered.
- `uploads`: `receive_upload`, `upload_version`, `version_from_file`.
- `checklist`: `set_checklist`, the points the client ticks.
- `showing`: a version's view and a record's summary, built from the facts.
- `staff`: `withdraw_version`, `send_for_approval`, `record_offline_approval`, `job_mockups`.
- `portal`: `awaiting_approval`, `portal_proof`, `PROOF_SENT`.
- `decision`: the client's `decide` and its pins (`clean_pins`).
"""

from kontrol_app.services.mockups import access  # noqa: F401  (registers the readers of mockup files)
from kontrol_app.services.mockups.checklist import set_checklist
from kontrol_app.services.mockups.decision import clean_pins, decide
from kontrol_app.services.mockups.facts import awaiting_answer, current_approved
from kontrol_app.services.mockups.limits import (
    ALLOWED,
    APPROVALS,
    DECISIONS,
    FIELD,
    MAX_CHECKLIST_ITEMS,
    MAX_CHECKLIST_TEXT,
    MAX_MOCKUP_BYTES,
    MAX_PAGE_POINTS,
    MAX_PDF_PAGES,
    MAX_PIN_NOTE,
    MAX_PINS,
    MAX_PREVIEW_PAGES,
    METHODS,
    NOT_IN_PORTAL,
    PREVIEW_SIZE,
)
from kontrol_app.services.mockups.portal import PROOF_SENT, awaiting_approval, portal_proof
from kontrol_app.services.mockups.staff import job_mockups, record_offline_approval, send_for_approval, withdraw_version
from kontrol_app.services.mockups.uploads import receive_upload, upload_version, version_from_file
from kontrol_app.services.mockups.views import JobMockups, PortalProof, RecordView, VersionView, size_text

__all__ = [
    # limits.py
    "ALLOWED",
    "APPROVALS",
    "DECISIONS",
    "FIELD",
    "MAX_CHECKLIST_ITEMS",
    "MAX_CHECKLIST_TEXT",
    "MAX_MOCKUP_BYTES",
    "MAX_PAGE_POINTS",
    "MAX_PDF_PAGES",
    "MAX_PIN_NOTE",
    "MAX_PINS",
    "MAX_PREVIEW_PAGES",
    "METHODS",
    "NOT_IN_PORTAL",
    "PREVIEW_SIZE",
    # views.py
    "JobMockups",
    "PortalProof",
    "RecordView",
    "VersionView",
    "size_text",
    # facts.py
    "awaiting_answer",
    "current_approved",
    # uploads.py
    "receive_upload",
    "upload_version",
    "version_from_file",
    # checklist.py
    "set_checklist",
    # staff.py
    "job_mockups",
    "record_offline_approval",
    "send_for_approval",
    "withdraw_version",
    # portal.py
    "PROOF_SENT",
    "awaiting_approval",
    "portal_proof",
    # decision.py
    "clean_pins",
    "decide",
]
