"""The fixed numbers and words of messages, shared by every part: the two sides (shop, client),
how long a message may be and how many files of which types it may carry, how often a notice
goes, how much a page shows, the forms' field names and the refusals."""

from __future__ import annotations

from datetime import timedelta

from kontrol_app.models import MessageThread
from kontrol_app.services import files

SHOP, CLIENT = "shop", "client"
MAX_BODY = 10_000
MAX_SUBJECT = MessageThread.__table__.c.subject.type.length
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 25 * files.MB
ALLOWED = files.ARTWORK  # PNG, JPEG, WebP, PDF (previewed); AI, EPS, SVG, PSD, ZIP (download only)
PREVIEWABLE = files.IMAGES_AND_PDF
PROMOTABLE = files.IMAGES_AND_PDF  # what services/mockups accepts
NOTICE_EVERY = timedelta(minutes=10)
PAGE_SIZE = 25
MESSAGES_SHOWN = 50  # an open thread shows the newest 50; "Load earlier" pages back
SNIPPET = 140
FIELD_BODY, FIELD_SUBJECT, FIELD_FILES = "body", "subject", "attachments"
NOT_IN_PORTAL = "That conversation is not in your portal."
NO_THREAD = "That conversation does not exist."
JOB_NOT_IN_PORTAL = "That job is not in your portal."
STAFF_PATH = "/messages"
