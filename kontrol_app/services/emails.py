"""Email content with the shop's branding, from template files.

Each kind of email (`EmailKind`) is two templates in `kontrol_app/templates/email/`:
`<kind>.html` and `<kind>.txt`, extending `base.html` and `base.txt`, which carry the
shop's branding. Both parts are rendered from the same data, so they say the same
things; the `.txt` template's `subject` block names the subject. HTML templates are
autoescaped; the data is plain values (never template source), so text a person
wrote can't run as a template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.utils import urlize
from markupsafe import Markup, escape

from kontrol_app.models import EmailKind
from kontrol_app.services.shop import ShopInfo, display_name
from kontrol_app.services.validation import one_line

# Read next to this package, so no packaging step has to ship them.
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"


def _paragraphs(value: str) -> list[str]:
    """Blank lines separate paragraphs."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    return [part.strip("\n") for part in re.split(r"\n[ \t]*\n", text) if part.strip()]


def _rich(value: str) -> Markup:
    """Escaped text with its web addresses as links and its line breaks kept."""
    linked = urlize(str(value).replace("\r\n", "\n"), rel="noopener")  # urlize escapes the text
    return Markup(linked).replace("\n", Markup("<br>\n"))


def _nl2br(value: str) -> Markup:
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


def _sentence_end(value: str) -> str:
    """A name that ends a sentence: "Demo Print Co." takes no second full stop."""
    text = str(value)
    return text if text.endswith((".", "!", "?")) else text + "."


_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(
        enabled_extensions=("html",), disabled_extensions=("txt",), default_for_string=True, default=True
    ),
    undefined=StrictUndefined,  # a value a template needs but the caller left out fails loudly
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(paragraphs=_paragraphs, rich=_rich, nl2br=_nl2br, sentence_end=_sentence_end)


@dataclass(frozen=True)
class EmailContent:
    subject: str
    html: str
    text: str


def _absolute(name: str, url: object) -> None:
    """Links in emails are opened far from the app: they must be whole http(s) addresses
    (this also keeps `javascript:` and the like out of an href, which escaping doesn't)."""
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an absolute http(s) URL, not {url!r}")


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def render(kind: EmailKind | str, data: Mapping[str, Any], shop: ShopInfo, base_url: str) -> EmailContent:
    """The subject, HTML and text of one email of `kind`, filled from `data`.

    Every `*_url` value in `data` must be an absolute http(s) URL; the shop's logo is
    linked absolutely from `base_url`.
    """
    kind = EmailKind(kind)  # an unknown kind is a ValueError, not a missing template
    base_url = base_url.rstrip("/")
    _absolute("base_url", base_url)
    for key, value in data.items():
        if key.endswith("_url"):
            _absolute(key, value)
    shop = replace(shop, name=display_name(shop))  # an unnamed shop still signs its emails
    logo_url = urljoin(base_url + "/", shop.logo_path) if shop.logo_path else ""
    context: dict[str, Any] = {**data, "shop": shop, "base_url": base_url, "logo_url": logo_url}
    text_template = _env.get_template(f"{kind.value}.txt")
    # One header line whatever the data holds (a title or an automation's text).
    subject = one_line("".join(text_template.blocks["subject"](text_template.new_context(context))))
    if not subject:
        raise ValueError(f"the {kind.value} email has an empty subject")
    context["subject"] = subject
    html = _env.get_template(f"{kind.value}.html").render(context)
    return EmailContent(subject=subject, html=html, text=_tidy(text_template.render(context)))
