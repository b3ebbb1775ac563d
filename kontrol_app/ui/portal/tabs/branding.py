"""Portal -> My Branding: "Upload company logo, update contact info" (issue 11).

The customer's brand kit (logo, print files, brand colours), their contact details (company
name as shown, phone, billing and shipping address), the signed-in contact's own sign-in email
(changed only once the code sent to the new address is typed back) and who can sign in. Every
change goes through services/branding.py with the viewer from the session; a Preview shows it
all and changes nothing. A refusal shows next to its field and keeps what was typed.
"""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import branding
from kontrol_app.services.branding import Kit, KitFile
from kontrol_app.services.errors import NotFound, ServiceError
from kontrol_app.services.portal_view import PortalViewer
from kontrol_app.services.validation import browser_int
from kontrol_app.ui.components.forms import field, named_upload, when_refused
from kontrol_app.ui.components.links import file_link
from kontrol_app.ui.portal.session import PortalSession, portal_event, ui_event
from kontrol_app.ui.portal.tabs.nav import Tab
from kontrol_app.ui.services import call

LOGO_UPLOAD, FILES_UPLOAD = "brand-logo-upload", "brand-files-upload"
MAX_FILES_AT_ONCE = 5
LOGO_ACCEPT = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]}
FILES_ACCEPT = {
    **LOGO_ACCEPT,
    "application/pdf": [".pdf"],
    "application/postscript": [".ai", ".eps"],
    "application/illustrator": [".ai"],
    "image/svg+xml": [".svg"],
}
LOGO_HINT = "PNG, JPEG or WebP, up to 25 MB. Vector files (AI, EPS, SVG, PDF) go under Print files."
FILES_HINT = "AI, EPS, SVG, PDF, PNG, JPEG or WebP, up to 25 MB each. Images and PDFs can be previewed; the rest download."
COLOURS_HINT = "Hex codes like #0A3D91 or #FFF, or Pantone names like PMS 286 C. Up to 20."
LINK_REL = "noopener noreferrer"
LOGO_REFUSED = (
    "The logo must be a PNG, JPEG or WebP image up to 25 MB. Add vector files (AI, EPS, SVG, PDF) under Print files."
)
FILES_REFUSED = f"Print files must be AI, EPS, SVG, PDF, PNG, JPEG or WebP, up to 25 MB each, {MAX_FILES_AT_ONCE} at a time."
# Section keys for refusals that name no field.
DETAILS_FORM, EMAIL_FORM, FILES_LIST = "details_form", "email_form", "files_list"


class BrandingTab(PortalSession):
    # The kit as saved.
    logo_url: str = ""
    logo_name: str = ""
    files: list[KitFile] = []
    updated: str = ""
    # Brand colours as typed (saved with "Save colours"), each row's swatch as typed.
    colours: list[str] = []
    swatches: list[str] = []
    # Contact details as typed.
    company_name: str = ""
    customer_phone: str = ""
    customer_address: str = ""
    shipping_address: str = ""
    # The sign-in email: "" (shown), "email" (typing the new one), "code" (typing the code).
    sign_in_email: str = ""
    pending_email: str = ""
    email_step: str = ""
    new_email: str = ""
    code: str = ""
    contacts: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    _version: int = 0
    _saved_colours: list[str] = []

    async def _fill(self, viewer: PortalViewer) -> None:
        """Called by the page's loader once the viewer is checked."""
        self._show_kit(await call(branding.brand_kit, viewer), colours=True)
        self._show_details(await call(branding.contact_details, viewer), form=True)
        self.errors = {}

    def _show_kit(self, kit: Kit, *, colours: bool = False) -> None:
        self.logo_url, self.logo_name, self.files, self.updated = kit.logo_url, kit.logo_name, kit.files, kit.updated
        self._saved_colours = [c.text for c in kit.colours]
        if colours:
            self.colours = list(self._saved_colours)
            self.swatches = [c.swatch for c in kit.colours]

    def _show_details(self, details: branding.ContactDetails, *, form: bool = False) -> None:
        self._version = details.version
        if form:
            self.company_name, self.customer_phone = details.name, details.phone
            self.customer_address, self.shipping_address = details.address, details.shipping_address
        self.sign_in_email, self.pending_email = details.sign_in_email, details.pending_email
        self.contacts = [{"name": name, "email": email} for name, email in details.contacts]
        if self.pending_email and not self.email_step:
            self.email_step = "code"  # a code is on its way (from before a reload)
        if not self.pending_email and self.email_step == "code":
            self.email_step = ""

    def _refused(self, error: ServiceError, section: str) -> None:
        self.errors = dict(error.errors or {section: error.message})

    # --- logo ---------------------------------------------------------------------------------

    @portal_event(write=True)
    async def upload_logo(self, viewer: PortalViewer, uploads: list[rx.UploadFile]):
        if not uploads:
            return None  # the browser refused the file: logo_rejected says why (this comes too)
        self.errors = {}
        try:
            received = await branding.receive_logo(uploads[0])  # the service discards it
            self._show_kit(await call(branding.set_logo, viewer, received, name=received.name))
        except ServiceError as error:
            self._refused(error, branding.FIELD_LOGO)
            return None
        return rx.toast.success("Logo saved.")

    @ui_event
    def logo_rejected(self):
        """The browser refused the file (its type or size); the server judges the rest."""
        self.errors = {branding.FIELD_LOGO: LOGO_REFUSED}

    @portal_event(write=True)
    async def remove_logo(self, viewer: PortalViewer):
        self.errors = {}
        try:
            self._show_kit(await call(branding.remove_logo, viewer))
        except ServiceError as error:
            self._refused(error, branding.FIELD_LOGO)
            return None
        return rx.toast.success("Logo removed.")

    # --- print files --------------------------------------------------------------------------

    @portal_event(write=True)
    async def add_print_files(self, viewer: PortalViewer, uploads: list[rx.UploadFile]):
        """Each file is kept on its own: one refused file does not lose the others."""
        if not uploads:
            return None  # the browser refused them: files_rejected says why
        self.errors = {}
        added = 0
        for upload in (uploads or [])[:MAX_FILES_AT_ONCE]:
            name = getattr(upload, "name", None) or getattr(upload, "filename", None) or "A file"
            try:
                received = await branding.receive_print_file(upload)
                self._show_kit(await call(branding.add_print_file, viewer, received, name=received.name))
                added += 1
            except ServiceError as error:
                shown = f"{name}: {error.message}" if error.field == branding.FIELD_FILE else error.message
                self.errors = {error.field or branding.FIELD_FILE: shown}
                break
        if len(uploads or []) > MAX_FILES_AT_ONCE and not self.errors:
            self.errors = {branding.FIELD_FILE: f"Add at most {MAX_FILES_AT_ONCE} files at a time; the first {MAX_FILES_AT_ONCE} were added."}
        if added:
            return rx.toast.success("Print file added." if added == 1 else f"{added} print files added.")
        return None

    @ui_event
    def files_rejected(self):
        self.errors = {branding.FIELD_FILE: FILES_REFUSED}

    @portal_event(write=True)
    async def remove_print_file(self, viewer: PortalViewer, file_id: int):
        self.errors = {}
        brand_file_id = browser_int(file_id)
        try:
            if brand_file_id is None:
                raise NotFound(branding.FILE_NOT_IN_KIT)
            self._show_kit(await call(branding.remove_print_file, viewer, brand_file_id))
        except ServiceError as error:
            self._refused(error, FILES_LIST)
            return None
        return rx.toast.success("Print file removed.")

    # --- colours ------------------------------------------------------------------------------

    @ui_event
    def set_colour(self, index: int, value: str):
        position = browser_int(index)
        if position is not None and position < len(self.colours) and isinstance(value, str):
            self.colours[position] = value[: branding.MAX_COLOUR_LENGTH * 2]
            self.swatches[position] = branding.swatch(value.strip())

    @ui_event
    def add_colour(self):
        if len(self.colours) < branding.MAX_COLOURS:
            self.colours.append("")
            self.swatches.append("")

    @ui_event
    def remove_colour(self, index: int):
        position = browser_int(index)
        if position is not None and position < len(self.colours):
            del self.colours[position]
            del self.swatches[position]
            self.errors = {}  # row numbers moved

    @portal_event(write=True)
    async def save_colours(self, viewer: PortalViewer):
        self.errors = {}
        try:
            kit = await call(branding.set_colours, viewer, list(self.colours), expected=list(self._saved_colours))
        except ServiceError as error:
            self._refused(error, branding.FIELD_COLOURS)
            return None
        self._show_kit(kit, colours=True)
        return rx.toast.success("Brand colours saved.")

    # --- contact details ----------------------------------------------------------------------

    @ui_event
    def set_company_name(self, value: str):
        self.company_name = value

    @ui_event
    def set_customer_phone(self, value: str):
        self.customer_phone = value

    @ui_event
    def set_customer_address(self, value: str):
        self.customer_address = value

    @ui_event
    def set_shipping_address(self, value: str):
        self.shipping_address = value

    @portal_event(write=True)
    async def save_details(self, viewer: PortalViewer):
        self.errors = {}
        data = {
            branding.FIELD_NAME: self.company_name,
            branding.FIELD_PHONE: self.customer_phone,
            branding.FIELD_ADDRESS: self.customer_address,
            branding.FIELD_SHIPPING: self.shipping_address,
        }
        try:
            details = await call(branding.save_contact_details, viewer, data, expected_version=self._version)
        except ServiceError as error:
            self._refused(error, DETAILS_FORM)
            return None
        self._show_details(details, form=True)
        self.parent_state.customer_name = details.name
        self._show_kit(await call(branding.brand_kit, viewer))
        return rx.toast.success("Contact details saved.")

    # --- the sign-in email --------------------------------------------------------------------

    @ui_event
    def start_email_change(self):
        self.email_step, self.new_email, self.code = "email", "", ""
        self.errors = {}

    @ui_event
    def set_new_email(self, value: str):
        self.new_email = value

    @ui_event
    def set_code(self, value: str):
        self.code = value

    @portal_event(write=True)
    async def send_email_code(self, viewer: PortalViewer):
        """Send a code to the new email (again, from the code step: "Send a new code")."""
        self.errors = {}
        on_code_step = self.email_step == "code"
        wanted = self.pending_email if on_code_step else self.new_email
        try:
            sent_to = await call(branding.request_email_change, viewer, wanted)
        except ServiceError as error:
            # Shown where the person is looking: by the New email box, or by the Code box.
            self.errors = {branding.FIELD_CODE if on_code_step else (error.field or EMAIL_FORM): error.message}
            if not on_code_step:
                self.email_step = "email"
            return None
        self.pending_email, self.email_step, self.code = sent_to, "code", ""
        return rx.toast.success(f"Code sent to {sent_to}.")

    @portal_event(write=True)
    async def confirm_email(self, viewer: PortalViewer):
        self.errors = {}
        try:
            new_email = await call(branding.confirm_email_change, viewer, self.code)
        except ServiceError as error:
            self.errors = {branding.FIELD_CODE: error.message}  # the step stays: "Send a new code" is next to it
            return None
        self.email_step, self.new_email, self.code = "", "", ""
        self.parent_state.viewer_email = new_email
        self._show_details(await call(branding.contact_details, viewer))
        return rx.toast.success(f"You now sign in with {new_email}.")

    @portal_event(write=True)
    async def cancel_email_change(self, viewer: PortalViewer):
        self.errors = {}
        try:
            await call(branding.cancel_email_change, viewer)
        except ServiceError as error:
            self._refused(error, EMAIL_FORM)
            return None
        self.email_step, self.new_email, self.code, self.pending_email = "", "", "", ""
        return None


# --- the tab ------------------------------------------------------------------------------------


def _error(key: str | rx.Var) -> rx.Var:
    return BrandingTab.errors.get(key, "")


def _message(key: str, hint: str = "", *, id: str) -> rx.Component:
    """A section's refusal (role=alert), else its hint."""
    return rx.cond(
        _error(key) != "",
        rx.text(_error(key), color_scheme="red", size="2", role="alert", class_name="field-error", custom_attrs={"id": id}),
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
    )


def _section(title: str, *children: rx.Component, id: str) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="3", width="100%", min_width="0"),
        width="100%",
        id=id,
    )


def _editable() -> rx.Var:
    return ~PortalSession.preview


def _logo() -> rx.Component:
    return _section(
        "Logo",
        rx.cond(
            BrandingTab.logo_url != "",
            rx.box(
                rx.image(src=BrandingTab.logo_url, alt="Your logo", max_height="120px", max_width="100%", object_fit="contain", id="brand-logo-preview"),
                padding="8px",
                border=f"1px solid {rx.color('gray', 5)}",
                border_radius="6px",
                background="white",
                width="fit-content",
                max_width="100%",
            ),
            rx.text("No logo yet.", size="2", color_scheme="gray", id="brand-logo-none"),
        ),
        rx.cond(
            _editable(),
            rx.flex(
                named_upload(
                    "Logo file",
                    rx.upload.root(
                        rx.button(
                            rx.icon("upload", size=16),
                            rx.cond(BrandingTab.logo_url != "", "Replace logo", "Upload logo"),
                            variant="soft",
                            type="button",
                        ),
                        id=LOGO_UPLOAD,
                        multiple=False,
                        max_files=1,
                        max_size=branding.MAX_LOGO_BYTES,
                        accept=LOGO_ACCEPT,
                        on_drop=BrandingTab.upload_logo(rx.upload_files(upload_id=LOGO_UPLOAD)),
                        # The refused files are not sent (a File cannot travel in an event).
                        on_drop_rejected=when_refused(BrandingTab.logo_rejected),
                    ),
                ),
                rx.cond(
                    BrandingTab.logo_url != "",
                    rx.button("Remove logo", variant="ghost", color_scheme="red", type="button", on_click=BrandingTab.remove_logo),
                ),
                gap="8px",
                wrap="wrap",
                align="center",
            ),
        ),
        _message(branding.FIELD_LOGO, LOGO_HINT, id="brand-logo-error"),
        id="brand-logo",
    )


def _file(f: rx.Var) -> rx.Component:
    return rx.flex(
        rx.cond(
            f.image,
            rx.image(src=f.url, alt="Preview of " + f.name, width="56px", height="56px", object_fit="contain", loading="lazy", flex_shrink="0"),
            rx.center(rx.icon("file", size=24), width="56px", height="56px", flex_shrink="0", background=rx.color("gray", 3), border_radius="6px"),
        ),
        rx.vstack(
            rx.text(f.name, size="2", weight="medium", overflow_wrap="anywhere", class_name="brand-file-name"),
            rx.text(f.label + " · " + f.size, size="1", color_scheme="gray"),
            rx.flex(
                rx.cond(f.pdf, rx.link("View PDF", href=f.url, is_external=True, rel=LINK_REL, size="2", aria_label="View " + f.name)),
                rx.cond(f.image, rx.link("View", href=f.url, is_external=True, rel=LINK_REL, size="2", aria_label="View " + f.name)),
                file_link("Download", href=f.download_url, size="2", aria_label="Download " + f.name, class_name="brand-file-download"),
                rx.cond(
                    _editable(),
                    rx.button(
                        "Remove", size="1", variant="ghost", color_scheme="red", type="button",
                        aria_label="Remove " + f.name, on_click=BrandingTab.remove_print_file(f.id),
                    ),
                ),
                gap="12px",
                wrap="wrap",
                align="center",
            ),
            spacing="1",
            min_width="0",
        ),
        gap="12px",
        align="start",
        width="100%",
        class_name="brand-file",
    )


def _files() -> rx.Component:
    return _section(
        "Print files",
        rx.cond(
            BrandingTab.files.length() == 0,
            rx.text("No print files yet. Add your logo as AI, EPS, SVG or PDF so the shop can print it sharp.", size="2", color_scheme="gray"),
            rx.vstack(rx.foreach(BrandingTab.files, _file), spacing="3", width="100%"),
        ),
        _message(FILES_LIST, id="brand-files-list-error"),
        rx.cond(
            _editable(),
            named_upload(
                "Print files",
                rx.upload.root(
                    rx.button(rx.icon("plus", size=16), "Add print files", variant="soft", type="button"),
                    id=FILES_UPLOAD,
                    multiple=True,
                    max_files=MAX_FILES_AT_ONCE,
                    max_size=branding.MAX_FILE_BYTES,
                    accept=FILES_ACCEPT,
                    on_drop=BrandingTab.add_print_files(rx.upload_files(upload_id=FILES_UPLOAD)),
                    on_drop_rejected=when_refused(BrandingTab.files_rejected),
                ),
            ),
        ),
        _message(branding.FIELD_FILE, FILES_HINT, id="brand-files-error"),
        id="brand-files",
    )


def _colour_row(colour: rx.Var, index: rx.Var) -> rx.Component:
    number = (index + 1).to_string()
    swatch = BrandingTab.swatches[index]
    return rx.flex(
        rx.center(
            # A named colour (PMS 286 C) has no hex to show: a dashed outline, not a white swatch.
            rx.cond(swatch == "", rx.icon("palette", size=16, color=rx.color("gray", 9))),
            width="36px",
            height="36px",
            flex_shrink="0",
            border_radius="6px",
            border=rx.cond(swatch != "", f"1px solid {rx.color('gray', 7)}", f"1px dashed {rx.color('gray', 8)}"),
            background=rx.cond(swatch != "", swatch, "transparent"),
            margin_top="22px",
            class_name="colour-swatch",
            custom_attrs={"aria-hidden": "true"},
        ),
        rx.box(
            field(
                "Colour " + number,
                rx.input(
                    value=colour,
                    on_change=lambda value: BrandingTab.set_colour(index, value),
                    name="colour_" + index.to_string(),
                    placeholder="#0A3D91 or PMS 286 C",
                    max_length=branding.MAX_COLOUR_LENGTH * 2,
                    read_only=PortalSession.preview,
                    width="100%",
                ),
                _error("colour_" + index.to_string()),
                id="brand-colour-" + index.to_string(),
            ),
            flex="1",
            min_width="0",
        ),
        rx.cond(
            _editable(),
            rx.icon_button(
                rx.icon("x", size=16),
                variant="ghost",
                color_scheme="gray",
                type="button",
                aria_label="Remove colour " + number,
                on_click=BrandingTab.remove_colour(index),
                margin_top="26px",
            ),
        ),
        gap="8px",
        align="start",
        width="100%",
        class_name="colour-row",
    )


def _colours() -> rx.Component:
    return _section(
        "Brand colours",
        rx.cond(
            BrandingTab.colours.length() == 0,
            rx.text("No brand colours yet.", size="2", color_scheme="gray"),
            rx.vstack(rx.foreach(BrandingTab.colours, _colour_row), spacing="2", width="100%"),
        ),
        _message(branding.FIELD_COLOURS, COLOURS_HINT, id="brand-colours-error"),
        rx.cond(
            _editable(),
            rx.flex(
                rx.button(
                    rx.icon("plus", size=16), "Add colour", variant="soft", type="button",
                    on_click=BrandingTab.add_colour, disabled=BrandingTab.colours.length() >= branding.MAX_COLOURS,
                ),
                rx.button("Save colours", type="button", on_click=BrandingTab.save_colours),
                gap="8px",
                wrap="wrap",
            ),
        ),
        id="brand-colours",
    )


def _details() -> rx.Component:
    read_only = PortalSession.preview
    return _section(
        "Contact details",
        field(
            "Company name",
            rx.input(value=BrandingTab.company_name, on_change=BrandingTab.set_company_name, name="company_name", width="100%", max_length=200, read_only=read_only),
            _error(branding.FIELD_NAME),
            hint="As it shows on your orders and invoices.",
        ),
        field(
            "Phone",
            rx.input(value=BrandingTab.customer_phone, on_change=BrandingTab.set_customer_phone, name="phone", type="tel", width="100%", max_length=60, read_only=read_only),
            _error(branding.FIELD_PHONE),
        ),
        field(
            "Billing address",
            rx.text_area(value=BrandingTab.customer_address, on_change=BrandingTab.set_customer_address, name="billing_address", rows="3", width="100%", read_only=read_only),
            _error(branding.FIELD_ADDRESS),
        ),
        field(
            "Shipping address",
            rx.text_area(value=BrandingTab.shipping_address, on_change=BrandingTab.set_shipping_address, name="shipping_address", rows="3", width="100%", read_only=read_only),
            _error(branding.FIELD_SHIPPING),
            hint="Where your orders ship. Leave it empty when it is the billing address.",
        ),
        _message(DETAILS_FORM, id="brand-details-error"),
        rx.cond(_editable(), rx.button("Save", type="button", on_click=BrandingTab.save_details, id="brand-details-save", width="fit-content")),
        id="brand-details",
    )


def _email() -> rx.Component:
    step = BrandingTab.email_step
    return _section(
        "Your sign-in email",
        rx.cond(
            PortalSession.preview,
            rx.text("Each client sees the email they sign in with here, and can change it.", size="2", color_scheme="gray"),
            rx.text(BrandingTab.sign_in_email, size="3", weight="medium", overflow_wrap="anywhere", id="sign-in-email"),
        ),
        rx.cond(
            _editable(),
            rx.match(
                step,
                (
                    "email",
                    rx.vstack(
                        field(
                            "New email",
                            rx.input(value=BrandingTab.new_email, on_change=BrandingTab.set_new_email, name="new_email", type="email", width="100%", max_length=254),
                            _error(branding.FIELD_NEW_EMAIL),
                            hint="We send a code there. Until you enter it, you keep signing in with your current email.",
                        ),
                        _message(EMAIL_FORM, id="brand-email-error"),
                        rx.flex(
                            rx.button("Send code", type="button", on_click=BrandingTab.send_email_code),
                            rx.button("Cancel", variant="soft", color_scheme="gray", type="button", on_click=BrandingTab.cancel_email_change),
                            gap="8px",
                            wrap="wrap",
                        ),
                        spacing="2",
                        width="100%",
                    ),
                ),
                (
                    "code",
                    rx.vstack(
                        rx.text(
                            "We sent a 6-digit code to ", rx.text.strong(BrandingTab.pending_email),
                            ". Enter it to sign in with that address from now on; until then your current email keeps working.",
                            size="2",
                            overflow_wrap="anywhere",
                        ),
                        field(
                            "Code",
                            rx.input(
                                value=BrandingTab.code, on_change=BrandingTab.set_code, name="email_code", width="100%", max_width="200px",
                                input_mode="numeric", auto_complete="one-time-code", max_length=12,
                            ),
                            _error(branding.FIELD_CODE),
                        ),
                        _message(EMAIL_FORM, id="brand-code-form-error"),
                        rx.flex(
                            rx.button("Confirm", type="button", on_click=BrandingTab.confirm_email),
                            rx.button("Send a new code", variant="soft", type="button", on_click=BrandingTab.send_email_code),
                            rx.button("Cancel", variant="soft", color_scheme="gray", type="button", on_click=BrandingTab.cancel_email_change),
                            gap="8px",
                            wrap="wrap",
                        ),
                        spacing="2",
                        width="100%",
                    ),
                ),
                rx.button("Change email", variant="soft", type="button", on_click=BrandingTab.start_email_change, width="fit-content"),
            ),
        ),
        id="brand-email",
    )


def _people() -> rx.Component:
    return _section(
        "People who can sign in",
        rx.foreach(
            BrandingTab.contacts,
            lambda c: rx.text(rx.cond(c["name"] != "", c["name"] + " · ", ""), c["email"], size="2", overflow_wrap="anywhere"),
        ),
        rx.text("Ask ", PortalSession.shop_name, " to add or remove people, by message or phone.", size="2", color_scheme="gray"),
        id="brand-people",
    )


def branding_tab() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading(PortalSession.customer_name, size="5", as_="h2", overflow_wrap="anywhere"),
            rx.cond(BrandingTab.updated != "", rx.text(BrandingTab.updated, size="2", color_scheme="gray", id="brand-updated")),
            direction="column",
            gap="4px",
        ),
        rx.text("Your logo, print files and colours are what the shop prints from.", size="2", color_scheme="gray"),
        _logo(),
        _files(),
        _colours(),
        _details(),
        _email(),
        _people(),
        spacing="4",
        width="100%",
        padding="16px 0",
        min_width="0",
    )


TAB = Tab("branding", "My Branding", branding_tab)
