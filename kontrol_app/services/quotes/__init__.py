"""Quote requests: the portal's 3-step Request a Quote form (a server-side draft per contact,
validated step by step), submitting it as QR-0001..., and the staff's Quote Requests list
(read, convert to a job, decline).

Numbers are sequential like invoices: `Shop.quote_next_number` is taken with one
`UPDATE ... RETURNING` in the submit's own transaction, so two submits at the same moment
queue on the shop row and never share a number; a rolled-back submit gives its number back.

The draft keeps what was typed as strings, valid or not ("Back keeps what was typed"); only
`submit` turns it into clean answers. Client functions take the viewer built from the
signed-in session and see only its customer's requests: anything else is "not found".

Where things live (callers use the package: `quotes.submit`, `quotes.STATUS_LABELS`, ...):
- choices.py: what the form offers (item types, sizes, decorations, placements, delivery) and the statuses
- steps.py: the three steps and their checks (`StepCheck`, `validate_what`, ...)
- artwork.py: the form's artwork files (their kind, how the form shows them, dropping unused uploads)
- draft.py: the server-side draft (load, save a step, add or remove artwork, start over)
- portal_tab.py: what the portal's tab shows (the review, the customer's requests, `portal_form`)
- reorder.py: Reorder (a new draft from a shipped or completed order)
- submitting.py: submitting the draft as QR-0001... and the answers in words (`summary_lines`)
- submitted.py: a submitted request read back (its row, files and detail)
- staff.py: the staff's Quote Requests list, convert to a job, reply, decline
"""

from kontrol_app.services.quotes.artwork import ARTWORK_KIND, ArtworkFile, draft_files, receive_artwork
from kontrol_app.services.quotes.choices import (
    ADULT_SIZES,
    DECORATIONS,
    DELIVERY,
    ITEM_TYPES,
    JOB_DECORATION,
    ONE_SIZE,
    PLACEMENTS,
    SIZE_MODES,
    STATUS_LABELS,
    YOUTH_SIZES,
)
from kontrol_app.services.quotes.draft import (
    MAX_DRAFT_CHARS,
    PREVIEW,
    Draft,
    add_artwork,
    load_draft,
    remove_artwork,
    save_draft,
    start_over,
    upload_artwork,
)
from kontrol_app.services.quotes.portal_tab import (
    STEP_TITLES,
    PortalForm,
    PortalQuoteRow,
    Review,
    ReviewSection,
    delivery_address,
    portal_form,
    portal_requests,
    review,
)
from kontrol_app.services.quotes.reorder import NO_ORDER, REORDER_STATUSES, guess_item_type, start_reorder
from kontrol_app.services.quotes.staff import (
    NOT_FOUND,
    PAGE_SIZE,
    QuoteRequestPage,
    convert_to_job,
    decline,
    list_requests,
    reply,
    request_detail,
    unread_count,
)
from kontrol_app.services.quotes.steps import (
    MAX_COLOURS,
    MAX_FILES,
    MAX_QUANTITY,
    REVIEW_STEP,
    STEPS,
    StepCheck,
    check_step,
    total_quantity,
    validate_artwork,
    validate_timing,
    validate_what,
)
from kontrol_app.services.quotes.submitted import REPLY_THREAD, QuoteFile, QuoteRequestDetail, QuoteRequestRow
from kontrol_app.services.quotes.submitting import NO_DRAFT, submit, summary_lines

__all__ = [
    # choices.py
    "ADULT_SIZES",
    "DECORATIONS",
    "DELIVERY",
    "ITEM_TYPES",
    "JOB_DECORATION",
    "ONE_SIZE",
    "PLACEMENTS",
    "SIZE_MODES",
    "STATUS_LABELS",
    "YOUTH_SIZES",
    # steps.py
    "MAX_COLOURS",
    "MAX_FILES",
    "MAX_QUANTITY",
    "REVIEW_STEP",
    "STEPS",
    "StepCheck",
    "check_step",
    "total_quantity",
    "validate_artwork",
    "validate_timing",
    "validate_what",
    # artwork.py
    "ARTWORK_KIND",
    "ArtworkFile",
    "draft_files",
    "receive_artwork",
    # draft.py
    "MAX_DRAFT_CHARS",
    "PREVIEW",
    "Draft",
    "add_artwork",
    "load_draft",
    "remove_artwork",
    "save_draft",
    "start_over",
    "upload_artwork",
    # portal_tab.py
    "STEP_TITLES",
    "PortalForm",
    "PortalQuoteRow",
    "Review",
    "ReviewSection",
    "delivery_address",
    "portal_form",
    "portal_requests",
    "review",
    # reorder.py
    "NO_ORDER",
    "REORDER_STATUSES",
    "guess_item_type",
    "start_reorder",
    # submitting.py
    "NO_DRAFT",
    "submit",
    "summary_lines",
    # submitted.py
    "REPLY_THREAD",
    "QuoteFile",
    "QuoteRequestDetail",
    "QuoteRequestRow",
    # staff.py
    "NOT_FOUND",
    "PAGE_SIZE",
    "QuoteRequestPage",
    "convert_to_job",
    "decline",
    "list_requests",
    "reply",
    "request_detail",
    "unread_count",
]
