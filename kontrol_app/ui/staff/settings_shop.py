"""Settings -> Shop Info: the name, logo and contact details clients see."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import files as files_service
from kontrol_app.services import shop as shop_service
from kontrol_app.services.money import CURRENCIES
from kontrol_app.settings import get_settings
from kontrol_app.ui.components.forms import field, named_upload, when_refused
from kontrol_app.ui.guard import StaffPrincipal, StaffState, form_event, owner_event, staff_event
from kontrol_app.ui.services import call
from kontrol_app.ui.staff.settings_nav import settings_tabs
from kontrol_app.ui.staff.shell import StaffShellState, guarded, staff_page

FIELDS = ("name", "email", "phone", "address", "currency", "timezone", "production_days")
LOGO_REFUSED = "The logo must be a PNG, JPEG or WebP image up to 5 MB."


class ShopInfoState(StaffState, rx.State):
    form: dict[str, str] = {f: "" for f in FIELDS}
    logo: str = ""
    timezones: list[str] = []
    can_edit: bool = False

    async def _show(self, info: shop_service.ShopInfo) -> None:
        self.form = {f: str(getattr(info, f)) for f in FIELDS}  # production_days is a number
        self.logo = info.logo_path
        shell = await self.get_state(StaffShellState)  # the header shows them too
        shell.shop_name, shell.shop_logo = shop_service.display_name(info), info.logo_path

    @staff_event(quiet=True)
    async def load(self, principal: StaffPrincipal):
        self.can_edit = principal.is_owner
        self.timezones = shop_service.timezone_names()
        info = await call(shop_service.shop_info)
        if info is not None:
            await self._show(info)

    @form_event
    def set_field(self, name: str, value: str):
        if name in FIELDS:
            self.form[name] = value

    @owner_event(field_toast="Shop info was not saved. Check the highlighted field.")
    async def save(self, principal: StaffPrincipal):
        await self._show(await call(shop_service.update_shop_info, principal, **self.form))
        return rx.toast.success("Shop info saved.")

    @owner_event(field_toast="The logo was not saved.")
    async def upload_logo(self, principal: StaffPrincipal, files: list[rx.UploadFile]):
        if not files:  # the browser refused what was dropped: this answer may come after logo_rejected's
            self.errors = {"logo": LOGO_REFUSED}
            return
        # Capped on the server while it streams in; the files service judges and keeps it.
        upload = await files_service.receive(files[0], max_bytes=shop_service.MAX_LOGO_BYTES, field="logo")
        await self._show(await call(shop_service.save_logo, principal, upload))
        return rx.toast.success("Logo saved.")

    @form_event
    def logo_rejected(self):
        self.errors = {"logo": LOGO_REFUSED}

    @owner_event
    async def remove_logo(self, principal: StaffPrincipal):
        await self._show(await call(shop_service.remove_logo, principal, get_settings().files_dir))
        return rx.toast.success("Logo removed.")


def _input(name: str, **props) -> rx.Component:
    return rx.input(
        value=ShopInfoState.form[name],
        on_change=lambda value: ShopInfoState.set_field(name, value),
        name=name,
        width="100%",
        read_only=~ShopInfoState.can_edit,
        **props,
    )


def _logo_section() -> rx.Component:
    return rx.vstack(
        rx.text("Logo", size="2", weight="medium"),
        rx.hstack(
            rx.box(
                rx.cond(
                    ShopInfoState.logo != "",
                    rx.image(src=ShopInfoState.logo, alt="Shop logo", max_height="80px", max_width="200px", id="logo-preview"),
                    rx.text("No logo yet", color_scheme="gray", size="2"),
                ),
                min_width="120px",
            ),
            rx.cond(
                ShopInfoState.can_edit,
                rx.hstack(
                    named_upload(
                        "Logo file",
                        rx.upload.root(
                            rx.button(rx.icon("upload", size=16), "Upload logo", variant="soft", type="button"),
                            id="logo",
                            multiple=False,
                            max_files=1,
                            max_size=shop_service.MAX_LOGO_BYTES,
                            accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]},
                            on_drop=ShopInfoState.upload_logo(rx.upload_files(upload_id="logo")),
                            on_drop_rejected=when_refused(ShopInfoState.logo_rejected),
                        ),
                    ),
                    rx.cond(
                        ShopInfoState.logo != "",
                        rx.button("Remove logo", variant="ghost", color_scheme="red", on_click=ShopInfoState.remove_logo, type="button"),
                    ),
                    align="center",
                ),
            ),
            align="center",
            spacing="4",
            wrap="wrap",
        ),
        rx.cond(
            ShopInfoState.errors.get("logo", "") != "",
            rx.text(ShopInfoState.errors.get("logo", ""), color_scheme="red", size="2", role="alert", class_name="field-error"),
            rx.text("PNG, JPEG or WebP, up to 5 MB. Shown in the portal header and on emails.", size="1", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
    )


def shop_info_page() -> rx.Component:
    errors = ShopInfoState.errors
    return staff_page(
        "Settings",
        "Settings",
        settings_tabs("Shop Info"),
        rx.card(
            rx.vstack(
                rx.cond(
                    ~ShopInfoState.can_edit,
                    rx.callout("Only the shop owner can change these settings.", icon="info", width="100%"),
                ),
                _logo_section(),
                rx.separator(),
                field("Shop name", _input("name"), errors.get("name", "")),
                field("Email", _input("email", type="email"), errors.get("email", ""), hint="Clients see this in the portal header."),
                field("Phone", _input("phone", type="tel"), errors.get("phone", "")),
                field(
                    "Address",
                    rx.text_area(
                        value=ShopInfoState.form["address"],
                        on_change=lambda value: ShopInfoState.set_field("address", value),
                        name="address",
                        rows="3",
                        width="100%",
                        read_only=~ShopInfoState.can_edit,
                    ),
                    errors.get("address", ""),
                ),
                rx.flex(
                    field(
                        "Currency",
                        rx.select(
                            list(CURRENCIES),
                            value=ShopInfoState.form["currency"],
                            on_change=lambda value: ShopInfoState.set_field("currency", value),
                            name="currency",
                            disabled=~ShopInfoState.can_edit,
                        ),
                        errors.get("currency", ""),
                    ),
                    field(
                        "Timezone",
                        rx.el.select(
                            rx.foreach(ShopInfoState.timezones, lambda tz: rx.el.option(tz, value=tz)),
                            value=ShopInfoState.form["timezone"],
                            on_change=lambda value: ShopInfoState.set_field("timezone", value),
                            name="timezone",
                            disabled=~ShopInfoState.can_edit,
                            class_name="rt-reset rt-SelectTrigger rt-r-size-2 rt-variant-surface",
                            style={"padding": "0 8px", "min_width": "220px"},
                        ),
                        errors.get("timezone", ""),
                    ),
                    spacing="4",
                    direction={"initial": "column", "sm": "row"},
                    width="100%",
                ),
                field(
                    "Production time, business days",
                    _input("production_days", type="number", min="0", max="60", step="1", input_mode="numeric", max_width="120px"),
                    errors.get("production_days", ""),
                    hint='From approved artwork to the due date. Clients see "Approve by <date> to keep your due date".',
                ),
                rx.cond(
                    ShopInfoState.can_edit,
                    rx.button("Save", on_click=ShopInfoState.save, size="3"),
                ),
                spacing="4",
                width="100%",
            ),
            max_width="720px",
        ),
    )


ON_LOAD = guarded(ShopInfoState.load)
