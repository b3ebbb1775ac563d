"""Staff customer screens: list, new/edit form, customer page."""

from kontrol_app.ui.staff.customers.customer_form import FORM_ON_LOAD, customer_form_page
from kontrol_app.ui.staff.customers.customer_list import LIST_ON_LOAD, customer_list_page
from kontrol_app.ui.staff.customers.customer_page import PAGE_ON_LOAD, customer_page

__all__ = ["FORM_ON_LOAD", "LIST_ON_LOAD", "PAGE_ON_LOAD", "customer_form_page", "customer_list_page", "customer_page"]
