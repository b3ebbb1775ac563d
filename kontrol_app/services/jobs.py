"""Jobs: create and edit, find, move through statuses (with history), tracking."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, union_all, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from kontrol_app.models import Carrier, Customer, Decoration, Job, JobStatus, JobStatusChange, JobStatusCount, MockupVersion, utcnow
from kontrol_app.services.paging import page_window
from kontrol_app.services import automations, statuses
from kontrol_app.services.errors import Checks, InvalidInput, NotAllowed, find
from kontrol_app.services.search import contains
from kontrol_app.services.stamps import stamp
from kontrol_app.services.staff import StaffPrincipal
from kontrol_app.services.tracking import tracking_url
from kontrol_app.services.validation import clean_text, optional_date
from kontrol_app.services.versions import claim_version

PAGE_SIZE = 25
BOARD_CARDS_PER_COLUMN = 30
MAX_QUANTITY = 10_000_000

DECORATION_LABELS = {
    Decoration.SCREEN_PRINT: "Screen print",
    Decoration.EMBROIDERY: "Embroidery",
    Decoration.DTG: "DTG",
    Decoration.HEAT_TRANSFER: "Heat transfer",
    Decoration.OTHER: "Other",
}


@dataclass
class JobInput:
    title: str = ""
    customer_id: int | None = None
    quantity: str = ""
    due_date: str = ""  # YYYY-MM-DD from a date input
    decoration: str = Decoration.SCREEN_PRINT
    garment: str = ""
    colour: str = ""
    notes: str = ""
    # The version the form was loaded at (job_input fills it); pass it back to
    # update_job(expected_version=...). Not part of what the form says.
    version: int | None = field(default=None, compare=False)


STALE_JOB = "Someone else changed this job — reload to see their changes"


def _quantity(value: str | int | None) -> int:
    raw = str(value or "").strip().replace(",", "")
    # ASCII digits only ("²".isdigit() is true but int() refuses it), and short
    # enough that int() never meets Python's 4,300-digit limit.
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInput("Enter the quantity as a whole number of pieces, like 144.", "quantity")
    if len(raw) > 12 or not 0 < int(raw) <= MAX_QUANTITY:
        raise InvalidInput(f"Enter a quantity from 1 to {MAX_QUANTITY:,} pieces.", "quantity")
    return int(raw)


def _clean(session: Session, data: JobInput) -> dict:
    checks = Checks()  # in the form's order: its first refusal is the one a toast names
    title = checks(clean_text, data.title, field="title", label="a title", max_length=200, required=True)
    if data.customer_id is None or session.get(Customer, data.customer_id) is None:
        checks.refuse("Choose the customer this job is for.", "customer")
    quantity = checks(_quantity, data.quantity)
    due = checks(optional_date, data.due_date, "due_date", label="the due date")
    if data.decoration not in {d.value for d in Decoration}:
        checks.refuse("Choose a decoration from the list.", "decoration")
    cleaned = {
        "title": title,
        "customer_id": data.customer_id,
        "quantity": quantity,
        "due_date": due,
        "decoration": data.decoration,
        "garment": checks(clean_text, data.garment, field="garment", label="the garment", max_length=200),
        "colour": checks(clean_text, data.colour, field="colour", label="the colour", max_length=100),
        "notes": checks(clean_text, data.notes, field="notes", label="the notes", max_length=5000, multiline=True),
    }
    checks.done()
    return cleaned


def create_job(session: Session, actor: StaffPrincipal, data: JobInput) -> int:
    job = Job(**_clean(session, data), status=JobStatus.QUOTE)
    session.add(job)
    session.flush()
    session.add(JobStatusChange(job_id=job.id, from_status=None, to_status=job.status, staff_user_id=actor.id, changed_by=actor.name))
    return job.id


NO_JOB = "That job does not exist."


def get_job(session: Session, job_id: int) -> Job:
    """The job with this id, else NotFound (for every service that works on one job)."""
    return find(session, Job, job_id, NO_JOB)


def update_job(
    session: Session, actor: StaffPrincipal, job_id: int, data: JobInput, *, expected_version: int | None = None
) -> None:
    """Save the job form. `expected_version` is the version the form was loaded at
    (`job_input(...).version`): when someone saved in between, nothing changes and
    `Conflict(STALE_JOB)` is raised. Status moves and tracking have their own checks and
    do not change the version."""
    job = get_job(session, job_id)
    cleaned = _clean(session, data)
    claim_version(session, Job, job_id, expected_version, STALE_JOB)
    for key, value in cleaned.items():
        setattr(job, key, value)
    job.updated_at = utcnow()
    session.add(job)


def job_input(session: Session, actor: StaffPrincipal, job_id: int) -> JobInput:
    job = get_job(session, job_id)
    return JobInput(
        title=job.title,
        customer_id=job.customer_id,
        quantity=str(job.quantity),
        due_date=job.due_date.isoformat() if job.due_date else "",
        decoration=job.decoration,
        garment=job.garment,
        colour=job.colour,
        notes=job.notes,
        version=job.version,
    )


def change_status(
    session: Session, actor: StaffPrincipal, job_id: int, to_status: str, *, note: str = "", expected_from: str | None = None
) -> bool:
    """Move a job to a status, record it, and queue the automation email (once).

    Returns False (and changes nothing) when the job is already there, or has moved
    since the page showed it (`expected_from`), so a double click never acts twice.
    """
    from kontrol_app.services import mockups  # mockups moves jobs through here too

    job = get_job(session, job_id)
    target = statuses.from_value(to_status)
    if target is None:
        raise InvalidInput("Choose a status from the list.", "status")
    note = clean_text(note, field="note", label="the note", max_length=1000, multiline=True)
    # The client is asked by Send for Approval, which moves the job there itself; by hand, only
    # back to it (from On Hold, say) while the artwork sent is still unanswered.
    if target == JobStatus.AWAITING_APPROVAL and job.status != target and not mockups.awaiting_answer(session, job.id):
        raise NotAllowed(SEND_FOR_APPROVAL_FIRST, "status")
    return move_status(
        session, job.id, target, changed_by=actor.name, staff_user_id=actor.id, note=note, expected_from=expected_from
    )


# Art Approved and In Production need the current artwork approved: by the client in the
# portal, or an offline approval staff record (services/mockups/ records it, then moves).
# "Production doesn't start until you have a written approval": nor may a job skip past
# production to Ready, Shipped or Completed without one.
APPROVAL_GATED = frozenset({JobStatus.ART_APPROVED, JobStatus.IN_PRODUCTION, JobStatus.READY, JobStatus.SHIPPED, JobStatus.COMPLETED})
APPROVAL_GATE = "The current artwork isn't approved yet. Send it for approval, or record an offline approval."
SEND_FOR_APPROVAL_FIRST = (
    "A job is Awaiting Approval once its artwork is sent: upload it on the Mockups tab and click Send for Approval."
)


def move_status(
    session: Session, job_id: int, target: JobStatus, *, changed_by: str, staff_user_id: int | None,
    note: str = "", expected_from: str | None = None,
) -> bool:
    """The one way a job changes status (staff's change_status, and a client's decision on its
    artwork, who has no staff principal): the approval gate, the history, the automation email.

    Returns False (and changes nothing) when the job is already there, or has moved since the
    page showed it (`expected_from`)."""
    from kontrol_app.services import mockups  # mockups moves jobs through here too

    job = get_job(session, job_id)
    current = job.status
    if current == target or (expected_from is not None and current != expected_from):
        return False
    if target in APPROVAL_GATED and not mockups.current_approved(session, job.id):
        raise NotAllowed(APPROVAL_GATE, "status")
    # Move it only if it is still where we read it: of two clicks (or two people)
    # racing, the second one's UPDATE matches no row, waiting for the first to commit.
    moved = session.exec(
        update(Job).where(Job.id == job.id, Job.status == current).values(status=target, updated_at=utcnow())
    ).rowcount
    if moved != 1:
        session.expire(job)
        return False
    change = JobStatusChange(
        job_id=job.id, from_status=current, to_status=target, note=note, staff_user_id=staff_user_id, changed_by=changed_by
    )
    session.add(change)
    session.flush()
    automations.queue_status_emails(session, job, change)
    return True


def move_to_next(session: Session, actor: StaffPrincipal, job_id: int, *, expected_from: str) -> str | None:
    """One click on the board: the next pipeline step. Returns its label, or None when the
    job has no next step or moved since the board was drawn."""
    target = statuses.next_status(expected_from)
    if target is None:
        return None
    moved = change_status(session, actor, job_id, target.value, expected_from=expected_from)
    return statuses.label(target) if moved else None


def set_tracking(session: Session, actor: StaffPrincipal, job_id: int, *, carrier: str, number: str) -> None:
    job = get_job(session, job_id)
    number = clean_text(number, field="tracking_number", label="the tracking number", max_length=60)
    if number and carrier not in {c.value for c in Carrier}:
        raise InvalidInput("Choose the carrier.", "tracking_carrier")
    job.tracking_carrier = carrier if number else ""
    job.tracking_number = number
    job.updated_at = utcnow()
    session.add(job)


# --- reading -----------------------------------------------------------------------


@dataclass(frozen=True)
class JobRow:
    id: int
    title: str
    customer_id: int
    customer_name: str
    quantity: int
    due_date: date | None
    status: str


@dataclass(frozen=True)
class JobPage:
    rows: list[JobRow]
    total: int
    page: int
    pages: int


@dataclass
class JobFilters:
    status: str = ""  # a status value, "active", or "" for all
    customer_id: int | None = None
    due_from: str = ""
    due_to: str = ""
    search: str = ""
    customer_search: str = ""  # part of the customer's name


def _filtered(query, filters: JobFilters):
    if filters.status == "active":
        query = query.where(Job.status.in_([s.value for s in statuses.ACTIVE]))
    elif filters.status:
        query = query.where(Job.status == filters.status)
    if filters.customer_id:
        query = query.where(Job.customer_id == filters.customer_id)
    for bound, op in ((filters.due_from, "ge"), (filters.due_to, "le")):
        if bound:
            try:
                day = date.fromisoformat(bound)
            except ValueError:
                raise InvalidInput("Enter dates like 2026-04-12.", "due_from" if op == "ge" else "due_to") from None
            query = query.where(Job.due_date >= day if op == "ge" else Job.due_date <= day)
    if filters.search.strip():
        query = query.where(contains(Job.title, filters.search))
    if filters.customer_search.strip():
        query = query.where(Job.customer_id.in_(select(Customer.id).where(contains(Customer.name, filters.customer_search))))
    return query


# Jobs due soonest first; undated ones after, newest first.
_LIST_ORDER = (Job.due_date.is_(None), Job.due_date, Job.id.desc())
# How deep into the list a page is read from each status's slices (`_status_slices`); deeper
# pages sort every matching job once instead (the slices would read more rows than that).
SLICED_DEPTH = 1_000


def _status_slices(of: Callable[[str], Select], wanted: Iterable[str], n: Any, *, after: bool | None = None) -> Select:
    """The first `n` jobs of each status in the list's order, as a UNION ALL: per status the
    first dated ones by due date and the first undated ones newest first (the list puts those
    last), two LIMITed reads of the (status, due_date) index, neither sorting the status's
    jobs. `of(status)` selects (id, status, due_date) of one status's jobs.

    `after` starts past a row of the list instead (binds after_due, after_id): True for a row
    with a due date, False for an undated one (past which only older undated jobs follow)."""
    parts = []
    for status in wanted:
        dated = of(status).where(Job.due_date.is_not(None))
        undated = of(status).where(Job.due_date.is_(None))
        if after:  # a later day, or the same day and an older job
            due, job_id = bindparam("after_due"), bindparam("after_id")
            dated = dated.where(Job.due_date >= due, or_(Job.due_date > due, Job.id < job_id))
        elif after is False:
            undated = undated.where(Job.id < bindparam("after_id"))
        if after is not False:
            parts.append(dated.order_by(Job.due_date, Job.id.desc()).limit(n).subquery().select())
        parts.append(undated.order_by(Job.id.desc()).limit(n).subquery().select())
    return union_all(*parts)


_STATUS_FILTERS = frozenset(["", "active", *(s.value for s in statuses.ALL_STATUSES)])


@functools.cache
def _sliced_page(wanted: tuple[str, ...], by_customer: bool, after: bool | None = None) -> Select:
    """A page of the jobs of `wanted` statuses (of one customer) among the first `depth` of
    each status (binds: depth, offset, limit, customer_id; `after`: see `_status_slices`).
    Built once per kind of filter."""

    def of(status: str) -> Select:
        query = sa_select(Job.id, Job.status, Job.due_date).where(Job.status == status)
        return query.where(Job.customer_id == bindparam("customer_id")) if by_customer else query

    top = _status_slices(of, wanted, bindparam("depth"), after=after).subquery()
    order = (top.c.due_date.is_(None), top.c.due_date, top.c.id.desc())
    ids = sa_select(top.c.id).order_by(*order).offset(bindparam("offset")).limit(bindparam("limit")).subquery()
    return sa_select(*_ROW_COLUMNS).join(ids, ids.c.id == Job.id).join(Customer, Customer.id == Job.customer_id).order_by(*_LIST_ORDER)


def list_jobs(
    session: Session, actor: StaffPrincipal, filters: JobFilters, *, page: int = 1, page_size: int = PAGE_SIZE, after: JobRow | None = None
) -> JobPage:
    """One page of the jobs the filters find, due soonest first. `after`: the last row of the
    page before `page` (the list's Next), to read on from it: as quick at any depth."""
    narrowed = filters.search.strip() or filters.customer_search.strip() or filters.due_from or filters.due_to
    # By status alone (a made-up status from the browser is no such filter): the statuses it shows.
    wanted = _wanted_statuses(filters.status) if filters.status in _STATUS_FILTERS and not narrowed else None
    if wanted is not None and not filters.customer_id:
        counts = status_counts(session)  # the shop's, kept by the database
        total = sum(counts.get(status, 0) for status in wanted)
    else:
        total = session.exec(select(func.count()).select_from(_filtered(select(Job.id), filters).subquery())).one()
    window = page_window(total, page, page_size)
    depth = window.offset + window.limit
    params = {"customer_id": filters.customer_id, "limit": window.limit}
    if wanted is not None and after is not None and window.page == page > 1:
        # Next: the page's jobs are each status's next few after that row, however deep.
        query = _sliced_page(wanted, bool(filters.customer_id), after.due_date is not None)
        params |= {"depth": window.limit, "offset": 0, "after_due": after.due_date, "after_id": after.id}
    elif depth <= SLICED_DEPTH and wanted is not None:
        # The page is among the first `depth` jobs of some status: sort only those slices
        # (sorting every active job took ~12 ms at 200,000 jobs, for any page).
        query = _sliced_page(wanted, bool(filters.customer_id))
        params |= {"depth": depth, "offset": window.offset}
    else:
        page_ids = _filtered(select(Job.id), filters).order_by(*_LIST_ORDER).offset(window.offset).limit(window.limit)
        return JobPage(_rows(session, page_ids, _LIST_ORDER), total, window.page, window.pages)
    rows = session.connection().execute(query, params).all()
    return JobPage([JobRow(*r) for r in rows], total, window.page, window.pages)


def _wanted_statuses(status_filter: str) -> tuple[str, ...]:
    if status_filter == "active":
        return tuple(s.value for s in statuses.ACTIVE)
    return (status_filter,) if status_filter else tuple(s.value for s in statuses.ALL_STATUSES)


_ROW_COLUMNS = (Job.id, Job.title, Job.customer_id, Customer.name, Job.quantity, Job.due_date, Job.status)  # a JobRow


def _rows(session: Session, page_ids, ordering: tuple) -> list[JobRow]:
    """The rows of the jobs `page_ids` selects, with their customers' names, in `ordering`."""
    ids = page_ids.subquery()
    rows = session.exec(
        select(*_ROW_COLUMNS)
        .join(ids, ids.c.id == Job.id)
        .join(Customer, Customer.id == Job.customer_id)
        .order_by(*ordering)
    ).all()
    return [JobRow(*r) for r in rows]


@dataclass(frozen=True)
class BoardColumn:
    status: str
    label: str
    count: int
    cards: list[JobRow]


BOARD_STATUSES = [s.value for s in statuses.PIPELINE if s != JobStatus.COMPLETED] + [
    JobStatus.REVISIONS_REQUESTED.value,
    JobStatus.ON_HOLD.value,
]


def _board_queries(customer_id: Any) -> tuple[Select, Select]:
    """The board's counts and candidate cards (built once; `customer_id`: None, or a bind).

    Counts (a customer's board; the shop's are kept: `status_counts`): one `count(*)` per
    status, each a range of the (status, due_date) index. Candidates: each column's first cards
    in the list's order (`_status_slices`), read from that index alone."""
    def of(query: Select, status: str) -> Select:
        query = query.where(Job.status == status)
        return query.where(Job.customer_id == customer_id) if customer_id is not None else query

    counts = sa_select(*(of(sa_select(func.count()).select_from(Job), status).scalar_subquery() for status in BOARD_STATUSES))
    indexed = functools.partial(of, sa_select(Job.id, Job.status, Job.due_date))
    return counts, _status_slices(indexed, BOARD_STATUSES, BOARD_CARDS_PER_COLUMN)


_BOARD_CANDIDATES = _board_queries(None)[1]  # (the shop's counts are kept: status_counts)
_CUSTOMER_BOARD = _board_queries(bindparam("customer_id"))
_CARDS = sa_select(*_ROW_COLUMNS).join(Customer, Customer.id == Job.customer_id).where(Job.id.in_(bindparam("ids", expanding=True)))


_STATUS_COUNTS = sa_select(JobStatusCount.status, JobStatusCount.jobs)


def status_counts(session: Session) -> dict[str, int]:
    """How many jobs have each status, over the whole shop (kept by the database: JobStatusCount)."""
    return dict(session.connection().execute(_STATUS_COUNTS).all())


def board(session: Session, actor: StaffPrincipal, *, customer_id: int | None = None) -> list[BoardColumn]:
    """The pipeline as columns: counts for every status and the most urgent cards of each."""
    connection = session.connection()
    if customer_id:
        counts, candidates = _CUSTOMER_BOARD
        params = {"customer_id": customer_id}
        totals = connection.execute(counts, params).one()
    else:
        candidates, params = _BOARD_CANDIDATES, {}
        shop_counts = status_counts(session)
        totals = [shop_counts.get(status, 0) for status in BOARD_STATUSES]
    # Each column's first cards in the list's order (due soonest, undated last, newest first among
    # equals), sorted as plain tuples: a Row's attribute costs about a microsecond.
    by_status: dict[str, list] = {status: [] for status in BOARD_STATUSES}
    for job_id, status, due_date in connection.execute(candidates, params):
        by_status[status].append((due_date is None, due_date or date.min, -job_id))
    shown = {status: [-key[2] for key in sorted(keys)[:BOARD_CARDS_PER_COLUMN]] for status, keys in by_status.items()}
    found = connection.execute(_CARDS, {"ids": [i for ids in shown.values() for i in ids]})
    cards = {card.id: card for card in (JobRow(*row) for row in found)}
    return [
        BoardColumn(status, statuses.label(status), count, [cards[i] for i in shown[status]])
        for status, count in zip(BOARD_STATUSES, totals, strict=True)
    ]


@dataclass(frozen=True)
class HistoryEntry:
    from_label: str
    to_label: str
    note: str
    changed_by: str
    at: object  # datetime


@dataclass(frozen=True)
class JobDetail:
    id: int
    title: str
    customer_id: int
    customer_name: str
    quantity: int
    due_date: date | None
    decoration: str
    garment: str
    colour: str
    notes: str
    status: str
    tracking_carrier: str
    tracking_number: str
    tracking_url: str
    history: list[HistoryEntry]
    version: int  # pass back as update_job(expected_version=...)
    stamp: str  # `job_stamp`, read with the rest: the open page's poll compares it


# What the job page shows of a job besides its invoices and messages: its row (status, tracking,
# an edit's version) and its artwork (uploads, sends, answers, withdrawals), as one short text.
_ARTWORK_STAMP = (
    sa_select(
        stamp(
            func.max(MockupVersion.id), func.count(MockupVersion.sent_at), func.count(MockupVersion.decided_at),
            func.count(MockupVersion.withdrawn_at),
        )
    )
    .where(MockupVersion.job_id == Job.id)
    .scalar_subquery()
)
_JOB_STAMP = sa_select(
    stamp(Job.status, Job.updated_at, Job.version, Job.tracking_carrier, Job.tracking_number, _ARTWORK_STAMP)
).where(Job.id == bindparam("job_id"))


def job_stamp(session: Session, job_id: int) -> str:
    """Changes when the job page's status, history, details or mockups would (a client's answer
    to its artwork moves its status), so an open job page polls one indexed read."""
    return session.connection().execute(_JOB_STAMP, {"job_id": job_id}).scalar() or ""


def job_detail(session: Session, actor: StaffPrincipal, job_id: int) -> JobDetail:
    job = get_job(session, job_id)
    customer = session.get(Customer, job.customer_id)
    changes = session.exec(
        select(JobStatusChange).where(JobStatusChange.job_id == job_id).order_by(JobStatusChange.id.desc())
    ).all()
    return JobDetail(
        id=job.id,
        title=job.title,
        customer_id=job.customer_id,
        customer_name=customer.name,
        quantity=job.quantity,
        due_date=job.due_date,
        decoration=job.decoration,
        garment=job.garment,
        colour=job.colour,
        notes=job.notes,
        status=job.status,
        tracking_carrier=job.tracking_carrier,
        tracking_number=job.tracking_number,
        tracking_url=tracking_url(job.tracking_carrier, job.tracking_number),
        history=[
            HistoryEntry(statuses.label(c.from_status) if c.from_status else "", statuses.label(c.to_status), c.note, c.changed_by, c.created_at)
            for c in changes
        ],
        version=job.version,
        stamp=job_stamp(session, job.id),
    )


@dataclass(frozen=True)
class CustomerJobCounts:
    active: int
    total: int


_CUSTOMER_COUNTS = sa_select(Job.status, func.count()).where(Job.customer_id == bindparam("customer_id")).group_by(Job.status)


def customer_job_counts(session: Session, customer_id: int) -> CustomerJobCounts:
    rows = dict(session.connection().execute(_CUSTOMER_COUNTS, {"customer_id": customer_id}).all())
    active = sum(n for status, n in rows.items() if status not in statuses.CLOSED)
    return CustomerJobCounts(active=active, total=sum(rows.values()))


def find_customers(session: Session, actor: StaffPrincipal, text: str, limit: int = 8) -> list[tuple[int, str]]:
    """Customer choices for the job form's customer picker."""
    text = (text or "").strip().lower()
    query = select(Customer.id, Customer.name)
    if text:
        query = query.where(contains(Customer.name, text))
    return [tuple(r) for r in session.exec(query.order_by(func.lower(Customer.name)).limit(limit)).all()]


def customer_name(session: Session, customer_id: int) -> str | None:
    customer = session.get(Customer, customer_id)
    return customer.name if customer else None
