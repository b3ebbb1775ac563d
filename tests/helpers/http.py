"""Reading HTTP answers in the route tests."""

from __future__ import annotations


def set_cookie(response, name: str) -> dict[str, str]:
    """The one Set-Cookie header for `name` as {attribute (lower-case): value}, plus "value"."""
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    name_value, *attributes = [part.strip() for part in headers[0].split(";")]
    parsed = {"value": name_value.split("=", 1)[1]}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        parsed[key.lower()] = value
    return parsed
