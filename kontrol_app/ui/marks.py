"""How the guard layers tag event handlers: each handler carries the kind of guard that
wraps it, and a state class with an untagged handler is refused at import."""

from __future__ import annotations

import inspect
from collections.abc import Callable

_KIND = "_kontrol_handler_kind"


def mark(fn: Callable, kind: str) -> Callable:
    setattr(fn, _KIND, kind)
    return fn


def handler_kind(fn: Callable) -> str | None:
    return getattr(fn, _KIND, None)


def supply_first_arg(wrapper: Callable, fn: Callable, count: int = 1) -> None:
    """`fn(self, supplied, ...)` is called by `wrapper(self, ...)`: Reflex (and so the browser)
    sees `wrapper`'s signature without the supplied argument(s) (the principal, the viewer)."""
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    supplied = {param.name for param in params[1 : 1 + count]}
    wrapper.__signature__ = signature.replace(parameters=[params[0], *params[1 + count :]])
    wrapper.__annotations__ = {k: v for k, v in fn.__annotations__.items() if k not in supplied}


def require_marks(cls: type, decorators: str) -> None:
    """Refuse a state class whose public methods (its event handlers) are not all marked."""
    unmarked = [
        name
        for name, value in cls.__dict__.items()
        if not name.startswith("_") and inspect.isfunction(value) and handler_kind(value) is None
    ]
    if unmarked:
        raise TypeError(f"{cls.__name__}: mark {', '.join(unmarked)} with {decorators}")
