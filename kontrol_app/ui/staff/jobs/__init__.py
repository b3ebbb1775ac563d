"""Staff job screens: list, board, new/edit form, job page."""

from kontrol_app.ui.staff.jobs.board import BOARD_ON_LOAD, job_board_page
from kontrol_app.ui.staff.jobs.job_form import FORM_ON_LOAD, job_form_page
from kontrol_app.ui.staff.jobs.job_list import LIST_ON_LOAD, job_list_page
from kontrol_app.ui.staff.jobs.job_page import PAGE_ON_LOAD, job_page

__all__ = [
    "BOARD_ON_LOAD",
    "FORM_ON_LOAD",
    "LIST_ON_LOAD",
    "PAGE_ON_LOAD",
    "job_board_page",
    "job_form_page",
    "job_list_page",
    "job_page",
]
