"""All tables. Importing this package registers them on SQLModel.metadata."""

from kontrol_app.models.base import DataVersion, utcnow
from kontrol_app.models.branding import BrandFile, BrandKit, ContactEmailChange
from kontrol_app.models.customers import Customer, CustomerContact, PortalSession, PortalSignInCode
from kontrol_app.models.files import StoredFile
from kontrol_app.models.invoices import (
    CheckoutAttempt,
    NO_DUE_DATE,
    Invoice,
    InvoiceDueTotal,
    InvoiceEvent,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    PaymentMethod,
    StripeEvent,
)
from kontrol_app.models.jobs import Carrier, Decoration, Job, JobFile, JobStatus, JobStatusChange, JobStatusCount, StatusAutomation
from kontrol_app.models.messages import Message, MessageAttachment, MessageThread, ThreadRead
from kontrol_app.models.mockups import ApprovalRecord, ChecklistItem, MockupPage, MockupVersion
from kontrol_app.models.notifications import Notification, NotificationRead
from kontrol_app.models.outbox import EmailKind, EmailStatus, OutboxEmail
from kontrol_app.models.quotes import QuoteDraft, QuoteRequest, QuoteRequestFile
from kontrol_app.models.shop import Shop
from kontrol_app.models.staff import SignInAttempt, SignInTicket, StaffRole, StaffSession, StaffUser

__all__ = [
    "NO_DUE_DATE",
    "DataVersion",
    "BrandFile",
    "BrandKit",
    "ContactEmailChange",
    "JobFile",
    "CheckoutAttempt",
    "Invoice",
    "InvoiceDueTotal",
    "InvoiceEvent",
    "InvoiceLine",
    "InvoicePayment",
    "InvoiceStatus",
    "PaymentMethod",
    "StripeEvent",
    "Message",
    "MessageAttachment",
    "MessageThread",
    "ThreadRead",
    "ApprovalRecord",
    "ChecklistItem",
    "MockupPage",
    "MockupVersion",
    "Notification",
    "NotificationRead",
    "Carrier",
    "Decoration",
    "Job",
    "JobStatus",
    "JobStatusChange",
    "JobStatusCount",
    "StatusAutomation",
    "Customer",
    "CustomerContact",
    "PortalSession",
    "PortalSignInCode",
    "EmailKind",
    "EmailStatus",
    "OutboxEmail",
    "QuoteDraft",
    "QuoteRequest",
    "QuoteRequestFile",
    "Shop",
    "StoredFile",
    "SignInAttempt",
    "SignInTicket",
    "StaffRole",
    "StaffSession",
    "StaffUser",
    "utcnow",
]
