"""The Brand kit card (issue 11): what a customer keeps in the portal's My Branding — the logo,
print files to download, brand colours with their text, who changed it last — for staff, on the
customer page and on a job's Details tab ("can download the files for a job").

On the customer page the page's on_load runs `BrandKitState.load`; `job_brand_kit()` loads itself
when it is shown (the job page's loaders stay the job page's)."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import branding
from kontrol_app.services.branding import Colour, KitFile
from kontrol_app.services.errors import NotFound
from kontrol_app.ui.components.links import file_link
from kontrol_app.ui.guard import StaffPrincipal, StaffState, staff_event
from kontrol_app.ui.services import call

LINK_REL = "noopener noreferrer"


class BrandKitState(StaffState, rx.State):
    loaded: bool = False
    exists: bool = False
    logo_url: str = ""
    logo_download_url: str = ""
    logo_name: str = ""
    files: list[KitFile] = []
    colours: list[Colour] = []
    updated: str = ""
    shipping_address: str = ""

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        """The kit of the page's customer (`/customers/[customer_id]`) or job's customer (`/jobs/[job_id]`)."""
        self.reset()  # another customer's kit never shows while this one loads
        customer_id, job_id = self._route_id("customer_id"), self._route_id("job_id")
        try:
            if customer_id is not None:
                kit = await call(branding.staff_brand_kit, principal, customer_id)
            elif job_id is not None:
                kit = await call(branding.staff_brand_kit_for_job, principal, job_id)
            else:
                return
        except NotFound:
            return
        self.exists, self.updated, self.shipping_address = kit.exists, kit.updated, kit.shipping_address
        self.logo_url, self.logo_download_url, self.logo_name = kit.logo_url, kit.logo_download_url, kit.logo_name
        self.files, self.colours = kit.files, kit.colours
        self.loaded = True


def _file(f: rx.Var) -> rx.Component:
    return rx.flex(
        rx.cond(f.image, rx.icon("image", size=16, flex_shrink="0"), rx.icon("file", size=16, flex_shrink="0")),
        file_link(f.name, href=f.download_url, size="2", weight="medium", aria_label="Download " + f.name, class_name="brand-kit-file", overflow_wrap="anywhere"),
        rx.text(f.label + " · " + f.size, size="1", color_scheme="gray", flex_shrink="0"),
        rx.cond(f.pdf | f.image, rx.link("View", href=f.url, is_external=True, rel=LINK_REL, size="1", aria_label="View " + f.name)),
        gap="8px",
        align="center",
        wrap="wrap",
        min_width="0",
    )


def _colour(c: rx.Var) -> rx.Component:
    return rx.flex(
        rx.cond(
            c.swatch != "",
            rx.box(
                width="20px", height="20px", border_radius="4px", background=c.swatch,
                border=f"1px solid {rx.color('gray', 7)}", flex_shrink="0", custom_attrs={"aria-hidden": "true"},
                class_name="brand-kit-swatch",
            ),
        ),
        rx.text(c.text, size="2", class_name="brand-kit-colour"),
        gap="6px",
        align="center",
        padding="4px 8px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="6px",
    )


def _label(text: str) -> rx.Component:
    return rx.text(text, size="2", weight="medium")


def brand_kit_card(**props) -> rx.Component:
    state = BrandKitState
    return rx.card(
        rx.vstack(
            rx.heading("Brand kit", size="4", as_="h2"),
            rx.cond(
                state.exists,
                rx.vstack(
                    rx.cond(state.updated != "", rx.text(state.updated, size="2", color_scheme="gray", id="brand-kit-updated")),
                    _label("Logo"),
                    rx.cond(
                        state.logo_url != "",
                        rx.flex(
                            rx.box(
                                rx.image(src=state.logo_url, alt="Customer logo", max_height="96px", max_width="100%", object_fit="contain", id="brand-kit-logo"),
                                padding="6px", border=f"1px solid {rx.color('gray', 5)}", border_radius="6px", background="white", max_width="100%",
                            ),
                            file_link("Download logo", href=state.logo_download_url, size="2", aria_label="Download logo " + state.logo_name),
                            gap="12px",
                            align="center",
                            wrap="wrap",
                        ),
                        rx.text("No logo yet.", size="2", color_scheme="gray"),
                    ),
                    _label("Print files"),
                    rx.cond(
                        state.files.length() > 0,
                        rx.vstack(rx.foreach(state.files, _file), spacing="1", width="100%"),
                        rx.text("No print files yet.", size="2", color_scheme="gray"),
                    ),
                    _label("Brand colours"),
                    rx.cond(
                        state.colours.length() > 0,
                        rx.flex(rx.foreach(state.colours, _colour), gap="6px", wrap="wrap"),
                        rx.text("No brand colours yet.", size="2", color_scheme="gray"),
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.text("No brand kit yet. The client adds their logo, print files and colours in the portal's My Branding tab.", size="2", color_scheme="gray"),
            ),
            rx.cond(
                state.shipping_address != "",
                rx.vstack(
                    _label("Shipping address"),
                    rx.text(state.shipping_address, size="2", white_space="pre-line", id="brand-kit-shipping"),
                    spacing="1",
                ),
            ),
            spacing="2",
            width="100%",
            min_width="0",
        ),
        width="100%",
        id="brand-kit",
        **props,
    )


def job_brand_kit() -> rx.Component:
    """The card on a job's Details tab: it loads the job's customer's kit when shown."""
    return rx.box(brand_kit_card(), on_mount=BrandKitState.load, padding_top="12px", width="100%")
