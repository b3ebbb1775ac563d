"""Money is integer cents (minor units) everywhere; this formats it for people."""

from __future__ import annotations

import re

# code -> (symbol, minor-unit digits)
CURRENCIES: dict[str, tuple[str, int]] = {
    "USD": ("$", 2),
    "CAD": ("CA$", 2),
    "EUR": ("€", 2),
    "GBP": ("£", 2),
    "AUD": ("A$", 2),
    "NZD": ("NZ$", 2),
    "CHF": ("CHF ", 2),
    "SEK": ("SEK ", 2),
    "NOK": ("NOK ", 2),
    "DKK": ("DKK ", 2),
    "PLN": ("PLN ", 2),
    "CZK": ("CZK ", 2),
    "MXN": ("MX$", 2),
    "BRL": ("R$", 2),
    "ZAR": ("R ", 2),
    "INR": ("₹", 2),
    "SGD": ("S$", 2),
    "HKD": ("HK$", 2),
    "JPY": ("¥", 0),
}


def format_money(cents: int, currency: str) -> str:
    symbol, digits = CURRENCIES.get(currency, (currency + " ", 2))
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    if digits == 0:
        return f"{sign}{symbol}{cents:,}"
    whole, minor = divmod(cents, 10**digits)
    return f"{sign}{symbol}{whole:,}.{minor:0{digits}d}"


def plain_amount(cents: int, currency: str) -> str:
    """Cents as typed into a form: 123450 -> "1234.50" (no symbol, no grouping)."""
    digits = minor_digits(currency)
    sign = "-" if cents < 0 else ""
    whole, minor = divmod(abs(int(cents)), 10**digits)
    return f"{sign}{whole}.{minor:0{digits}d}" if digits else f"{sign}{whole}"


def minor_digits(currency: str) -> int:
    return CURRENCIES.get(currency, ("", 2))[1]


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero
    (what an accountant expects: 0.5 cent -> 1 cent, -0.5 cent -> -1 cent)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


# Percentages are kept as integers in thousandths of a percent: 8.875% is 8875.
PERCENT_SCALE = 1000
HUNDRED_PERCENT = 100 * PERCENT_SCALE


def percent_of(cents: int, rate: int) -> int:
    """`rate` (thousandths of a percent) of `cents`, rounded half-up to the cent."""
    return round_half_up(cents * rate, HUNDRED_PERCENT)


_AMOUNT = re.compile(r"^(-)?(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?$", re.ASCII)


def parse_amount(text: str, currency: str, *, allow_negative: bool = False) -> int | None:
    """"1,234.50", "$1234.5", "12" -> cents; None when it is not an amount of this currency
    (more decimals than the currency has, letters, an empty string)."""
    cleaned = (text or "").strip().replace(" ", "")
    symbol = CURRENCIES.get(currency, ("", 2))[0].strip()
    for mark in {symbol, "$", currency}:
        if mark and mark in cleaned:
            cleaned = cleaned.replace(mark, "", 1)
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
    match = _AMOUNT.match(cleaned)
    if not match or (match.group(2) is None and match.group(3) is None) or len(cleaned) > 16:
        return None
    negative, whole, fraction = match.group(1), (match.group(2) or "0").replace(",", ""), match.group(3) or ""
    digits = minor_digits(currency)
    if len(fraction) > digits:
        return None
    cents = int(whole) * 10**digits + (int(fraction.ljust(digits, "0")) if digits else 0)
    if negative:
        if not allow_negative:
            return None
        cents = -cents
    return cents


_PERCENT = re.compile(r"^(\d{1,3})(?:\.(\d{1,3}))?%?$", re.ASCII)


def parse_percent(text: str) -> int | None:
    """"8.875", "8.875%", "20" -> thousandths of a percent (8875, 20000); None when it is
    not a percentage from 0 to 100 with at most three decimals."""
    match = _PERCENT.match((text or "").strip().replace(" ", ""))
    if not match:
        return None
    value = int(match.group(1)) * PERCENT_SCALE + int((match.group(2) or "0").ljust(3, "0"))
    return value if value <= HUNDRED_PERCENT else None


def format_percent(rate: int) -> str:
    """8875 -> "8.875", 20000 -> "20", 12500 -> "12.5"."""
    whole, fraction = divmod(int(rate), PERCENT_SCALE)
    return f"{whole}.{fraction:03d}".rstrip("0").rstrip(".") if fraction else str(whole)
