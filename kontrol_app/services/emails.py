"""Email content with the shop's branding: one layout, an HTML and a plain-text part."""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import Environment, select_autoescape

from kontrol_app.services.shop import ShopInfo

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))

_HTML = _env.from_string(
    """<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{ subject }}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#18181b">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f4f5;padding:24px 0">
<tr><td align="center">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px;width:100%;background:#ffffff;border-radius:8px;overflow:hidden">
<tr><td style="padding:24px 32px;border-bottom:1px solid #e4e4e7">
{% if logo_url %}<img src="{{ logo_url }}" alt="{{ shop.name }}" style="max-height:48px;max-width:200px;display:block;margin-bottom:8px">{% endif %}
<div style="font-size:18px;font-weight:600">{{ shop.name }}</div>
</td></tr>
<tr><td style="padding:24px 32px;font-size:15px;line-height:1.55">
{% if heading %}<h1 style="font-size:20px;margin:0 0 16px">{{ heading }}</h1>{% endif %}
{% for paragraph in paragraphs %}<p style="margin:0 0 14px;white-space:pre-line">{{ paragraph }}</p>{% endfor %}
{% if code %}<p style="font-size:32px;letter-spacing:8px;font-weight:700;margin:8px 0 16px">{{ code }}</p>{% endif %}
{% if button_url %}<p style="margin:20px 0"><a href="{{ button_url }}" style="background:#2563eb;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;display:inline-block;font-weight:600">{{ button_label }}</a></p>
<p style="font-size:12px;color:#71717a;margin:0">Or paste this link into your browser: {{ button_url }}</p>{% endif %}
</td></tr>
<tr><td style="padding:16px 32px;background:#fafafa;font-size:12px;color:#71717a;line-height:1.5">
{{ shop.name }}{% if shop.email %} · {{ shop.email }}{% endif %}{% if shop.phone %} · {{ shop.phone }}{% endif %}
{% if shop.address %}<br><span style="white-space:pre-line">{{ shop.address }}</span>{% endif %}
</td></tr>
</table></td></tr></table></body></html>"""
)


@dataclass(frozen=True)
class EmailContent:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class EmailMessage:
    """What an email says, before the shop's branding is put around it."""

    subject: str
    paragraphs: list[str] = field(default_factory=list)
    heading: str = ""
    code: str = ""
    button_label: str = ""
    button_url: str = ""


def render(message: EmailMessage, shop: ShopInfo, base_url: str) -> EmailContent:
    logo_url = f"{base_url}{shop.logo_path}" if shop.logo_file else ""
    html = _HTML.render(
        subject=message.subject,
        shop=shop,
        logo_url=logo_url,
        heading=message.heading,
        paragraphs=message.paragraphs,
        code=message.code,
        button_label=message.button_label,
        button_url=message.button_url,
    )
    lines: list[str] = []
    if message.heading:
        lines += [message.heading, ""]
    for paragraph in message.paragraphs:
        lines += [paragraph, ""]
    if message.code:
        lines += [message.code, ""]
    if message.button_url:
        lines += [f"{message.button_label}: {message.button_url}", ""]
    footer = " · ".join(part for part in (shop.name, shop.email, shop.phone) if part)
    lines += ["--", footer]
    if shop.address:
        lines.append(shop.address)
    return EmailContent(subject=message.subject, html=html, text="\n".join(lines) + "\n")
