"""The fixed numbers and words of mockups, shared by every part: how big an upload may be and
of which types, how its previews are made, the checklist's and the pins' limits, the client's
decisions, the offline approval methods and the portal's refusal."""

from __future__ import annotations

from kontrol_app.services import files

MAX_MOCKUP_BYTES = 25 * 1024 * 1024
ALLOWED = files.IMAGES_AND_PDF  # png, jpeg, webp, pdf
FIELD = "mockup"
PREVIEW_SIZE = 1600  # px on the long side
MAX_PDF_PAGES = 200
MAX_PREVIEW_PAGES = 20  # a PDF's first pages get a preview each; the rest are in the original
MAX_PAGE_POINTS = 200 * 72  # 200 in (5080 mm): larger is no print, only a way to exhaust memory
MAX_CHECKLIST_ITEMS = 12
MAX_CHECKLIST_TEXT = 200
MAX_PINS = 20
MAX_PIN_NOTE = 300

DECISIONS = ("approved", "revisions", "declined")
APPROVALS = frozenset({"approved", "approved_offline"})
METHODS = {"phone": "phone", "in_person": "in person", "email": "email", "no_artwork": "no artwork needed"}
NOT_IN_PORTAL = "That job is not in your portal."
