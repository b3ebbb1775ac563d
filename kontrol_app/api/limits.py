"""ASGI middleware that caps request bodies: /_upload has no limit of its own."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# One upload request: a message's 5 attachments of 25 MB each (the largest a form sends at
# once) plus multipart overhead. Each service still caps its own kind, file by file, while
# the bytes stream in (a mockup at 25 MB, a logo at 5 MB).
UPLOAD_LIMIT = 5 * 25 * 1024 * 1024 + 1024 * 1024
OTHER_LIMIT = 1 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


class RequestSizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = UPLOAD_LIMIT if scope["path"].startswith("/_upload") else OTHER_LIMIT
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _too_large(send)
                return
        received = 0
        response_started = False
        refused = False

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # the 413 is sent; drop the app's own error answer (e.g. Starlette's 500)
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        async def counted_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now: the app's error middleware would turn the exception into a 500.
                    if not response_started:
                        await _too_large(send)
                    refused = True
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            pass


async def _too_large(send: Send) -> None:
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"The file is too large."})
