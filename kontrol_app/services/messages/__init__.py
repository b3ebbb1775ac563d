"""Messages: threaded conversations between the shop and a customer's contacts (issue 10).

A thread belongs to one customer and is about one of its jobs or general (a subject). Messages
are plain text, stored as typed (never HTML); `linkify` splits a text into plain and http(s)
link segments for the UI to render safely. Attachments go through the private files service.

Unread state: the staff share one read mark per thread (`staff_read_message_id`, with the
indexed `staff_unread` kept in step); each contact has their own (`ThreadRead`). Only the other
side's messages count as unread: the shop's for a contact, the client's for the staff. Writing
in a thread marks it read for the writer.

Email notices: a client's message notifies the shop (the bell and the shop's email, through
notifications.notify); a staff message emails each contact who has not read it. At most one
notice per thread per side every 10 minutes; a message that arrived inside that window and is
still unread when it ends gets its notice from `send_due_notices` (run by the background loop);
nothing is sent for a message already read.

Client-side functions take the viewer (customer_id and contact_id from the signed-in session,
never from the browser) and answer "not found" for any other customer's thread, message or file.

Where it lives, one module a concept: `text` (linkify, the body and subject checks),
`attachments` (files kept with a message, shown, made mockup versions), `writing` (starting
and posting in threads, closing, reopening), `reading` (opening a thread, the read marks),
`inbox` (the thread lists, unread counts, stamps), `notices` (the emails), `locking` (a thread
found and locked for a change); `views` holds what the pages get and `limits` the fixed numbers
and words. Callers import this package (`messages.NAME`): every public name is here.
"""

from kontrol_app.services.messages.attachments import Upload, promote_to_mockup, receive_attachment
from kontrol_app.services.messages.inbox import (
    FILTERS,
    client_stamp,
    client_stamp_query,
    client_threads,
    client_unread_total,
    staff_stamp,
    staff_threads,
    staff_unread_total,
)
from kontrol_app.services.messages.limits import (
    ALLOWED,
    CLIENT,
    FIELD_BODY,
    FIELD_FILES,
    FIELD_SUBJECT,
    JOB_NOT_IN_PORTAL,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_BODY,
    MAX_SUBJECT,
    MESSAGES_SHOWN,
    NO_THREAD,
    NOT_IN_PORTAL,
    NOTICE_EVERY,
    PAGE_SIZE,
    PREVIEWABLE,
    PROMOTABLE,
    SHOP,
    SNIPPET,
    STAFF_PATH,
)
from kontrol_app.services.messages.notices import NOTICE_BATCH, notice_batch, send_due_notices
from kontrol_app.services.messages.reading import (
    client_opening,
    mark_read_client,
    mark_read_staff,
    open_thread_client,
    open_thread_staff,
    peek_thread_staff,
)
from kontrol_app.services.messages.text import Segment, clean_body, linkify
from kontrol_app.services.messages.views import (
    AttachmentView,
    ClientOpening,
    MessageView,
    ThreadPage,
    ThreadSummary,
    ThreadView,
    Viewer,
)
from kontrol_app.services.messages.writing import (
    close_thread,
    post_client,
    post_staff,
    reopen_thread,
    start_thread_client,
    start_thread_staff,
)

__all__ = [
    "ALLOWED",
    "CLIENT",
    "FIELD_BODY",
    "FIELD_FILES",
    "FIELD_SUBJECT",
    "FILTERS",
    "JOB_NOT_IN_PORTAL",
    "MAX_ATTACHMENT_BYTES",
    "MAX_ATTACHMENTS",
    "MAX_BODY",
    "MAX_SUBJECT",
    "MESSAGES_SHOWN",
    "NO_THREAD",
    "NOT_IN_PORTAL",
    "NOTICE_BATCH",
    "NOTICE_EVERY",
    "PAGE_SIZE",
    "PREVIEWABLE",
    "PROMOTABLE",
    "SHOP",
    "SNIPPET",
    "STAFF_PATH",
    "AttachmentView",
    "ClientOpening",
    "MessageView",
    "Segment",
    "ThreadPage",
    "ThreadSummary",
    "ThreadView",
    "Upload",
    "Viewer",
    "clean_body",
    "client_opening",
    "client_stamp",
    "client_stamp_query",
    "client_threads",
    "client_unread_total",
    "close_thread",
    "linkify",
    "mark_read_client",
    "mark_read_staff",
    "notice_batch",
    "open_thread_client",
    "open_thread_staff",
    "peek_thread_staff",
    "post_client",
    "post_staff",
    "promote_to_mockup",
    "receive_attachment",
    "reopen_thread",
    "send_due_notices",
    "staff_stamp",
    "staff_threads",
    "staff_unread_total",
    "start_thread_client",
    "start_thread_staff",
]
