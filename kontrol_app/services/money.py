"""Money is integer cents (minor units) everywhere; this formats it for people."""

from __future__ import annotations

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
