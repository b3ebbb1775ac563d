"""The job page's "Files" section (Details tab): the files kept with the job (e.g. the artwork
of the quote request it came from), each with a download link, a preview for images and PDFs,
and **Make mockup** for those, which makes it the job's next mockup version."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from kontrol_app.services import job_files
from kontrol_app.services.errors import NotFound
from kontrol_app.services.mockups import size_text
from kontrol_app.ui.components.files import file_card, make_mockup_button
from kontrol_app.ui.guard import StaffPrincipal, StaffState, staff_event
from kontrol_app.ui.services import call


@dataclass(frozen=True)
class JobFileRow:
    id: int
    name: str
    label: str  # "PNG", "PDF", ...
    size: str
    source: str
    url: str
    download_url: str
    image: bool
    pdf: bool
    promotable: bool


def _row(f: job_files.JobFileView) -> JobFileRow:
    return JobFileRow(f.id, f.name, f.label, size_text(f.size), f.source, f.url, f.download_url, f.image, f.pdf, f.promotable)


class JobFilesState(StaffState, rx.State):
    job_files: list[JobFileRow] = []

    async def _refresh(self, principal: StaffPrincipal) -> None:
        self.job_files = [_row(f) for f in await call(job_files.job_files, principal, self._route_id("job_id"))]

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.reset()  # another job's files never show while this one loads
        if self._route_id("job_id") is None:
            return
        try:
            await self._refresh(principal)
        except NotFound:
            self.job_files = []

    @staff_event
    async def make_mockup(self, principal: StaffPrincipal, job_file_id: int):
        job_id = self._route_id("job_id")
        if job_id is None or not isinstance(job_file_id, int):
            return
        version = await call(job_files.make_mockup, principal, job_id, job_file_id)
        from kontrol_app.ui.staff.jobs.mockups import MockupsState

        await (await self.get_state(MockupsState))._refresh(principal)
        return rx.toast.success(f"{version.label} added to the job's mockups.")


def _file(f: rx.Var) -> rx.Component:
    source = rx.cond(f.source != "", rx.text(f.source, size="1", color_scheme="gray", class_name="job-file-source"))
    return file_card(f, css="job-file", extra=source, action=make_mockup_button("Make mockup", f, JobFilesState.make_mockup(f.id)))


def job_files_section() -> rx.Component:
    """The Details tab's "Files" (nothing while the job has none)."""
    state = JobFilesState
    return rx.cond(
        state.job_files.length() > 0,
        rx.vstack(
            rx.heading("Files", size="3", as_="h3"),
            rx.flex(rx.foreach(state.job_files, _file), spacing="2", wrap="wrap", width="100%"),
            spacing="2",
            width="100%",
            padding_top="12px",
            id="job-files",
        ),
    )
