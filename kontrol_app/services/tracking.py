"""Tracking links for the carriers shops use."""

from __future__ import annotations

from urllib.parse import quote

from kontrol_app.models import Carrier

CARRIER_LABELS = {Carrier.UPS: "UPS", Carrier.FEDEX: "FedEx", Carrier.USPS: "USPS", Carrier.DHL: "DHL", Carrier.OTHER: "Other"}

_URLS = {
    Carrier.UPS: "https://www.ups.com/track?tracknum={n}",
    Carrier.FEDEX: "https://www.fedex.com/fedextrack/?trknbr={n}",
    Carrier.USPS: "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
    Carrier.DHL: "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={n}",
}


def tracking_url(carrier: str, number: str) -> str:
    """The carrier's tracking page, or "" when the carrier has none we know."""
    template = _URLS.get(carrier)
    if not template or not number:
        return ""
    return template.format(n=quote(number.strip(), safe=""))
