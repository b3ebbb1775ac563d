"""What the pages get: the portal `Viewer` who reads, and the views of a thread list's rows, of
a thread with its messages and their attachments, and of a thread opened in the portal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kontrol_app.services.messages.text import Segment


class Viewer(Protocol):
    """The signed-in portal viewer (portal_view.PortalViewer or portal_auth.PortalPrincipal):
    `contact_id` is None when staff preview the portal (read only, nothing marked read)."""

    customer_id: int
    contact_id: int | None
    name: str


@dataclass(frozen=True)
class AttachmentView:
    id: int  # the MessageAttachment id (promote_to_mockup takes it)
    file_id: int
    name: str
    file_type: str  # png, jpeg, webp, pdf, ai, eps, svg, psd, zip
    label: str  # "PNG", "PDF", ...
    size: int
    url: str  # the private files route
    download_url: str
    previewable: bool  # PNG, JPEG, WebP, PDF: may show inline; everything else only downloads
    image: bool  # PNG, JPEG, WebP: an <img> may show it
    promotable: bool  # may become a mockup version (staff, a thread about a job)


@dataclass(frozen=True)
class MessageView:
    id: int
    side: str  # shop, client
    sender_name: str
    body: str  # as typed: render as text, never as HTML
    segments: tuple[Segment, ...]  # linkify(body)
    when: str  # shop time, e.g. "Apr 3, 2026 10:14 AM"
    attachments: tuple[AttachmentView, ...]
    mine: bool  # written by the viewer's side


@dataclass(frozen=True)
class ThreadSummary:
    id: int
    customer_id: int
    customer_name: str
    job_id: int | None
    job_title: str
    subject: str
    closed: bool
    last_when: str  # shop time of the newest message
    last_sender: str
    snippet: str  # the newest message, clipped, one line
    unread: int  # messages from the other side not yet read (by the staff, or by this contact)


@dataclass(frozen=True)
class ThreadPage:
    threads: list[ThreadSummary]
    total: int
    page: int
    pages: int
    unread_total: int  # the badge: unread messages over every thread this reader sees
    stamp: str = ""  # the staff's list: `staff_stamp` as it was read with the page


@dataclass(frozen=True)
class ThreadView:
    id: int
    customer_id: int
    customer_name: str
    job_id: int | None
    job_title: str
    subject: str
    closed: bool
    closed_when: str
    messages: list[MessageView]  # oldest first
    has_earlier: bool  # older messages exist before messages[0] ("Load earlier")
    newest_id: int


@dataclass(frozen=True)
class ClientOpening:
    """A thread opened in the portal, with the contact's unread total once it is marked read
    (the badge) and the mark to write (`read_up_to`, 0: none); or why it did not open
    (`refusal`; both empty for an id that is not a number)."""

    view: ThreadView | None
    unread_total: int
    refusal: str
    read_up_to: int = 0
