"""Every link to a file the server sends goes through `file_link` (or opens a new tab): a plain
`rx.link` routes inside the app, which has no page at /api/..., and shows its "404" instead of
downloading. The browser tests click a few of them (staff invoice PDF, a mockup, certificates)."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "kontrol_app" / "ui"


def _routed_file_links() -> list[str]:
    found = []
    for path in UI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "rx.link"):
                continue
            keywords = {k.arg: ast.unparse(k.value) for k in node.keywords if k.arg}
            href = keywords.get("href", "")
            # A file's address comes from a service as a "...url" value (file_url, download_url,
            # pdf_url, certificate_url); the app's own pages are written as "/jobs/..." here.
            if "url" in href.lower() and "is_external" not in keywords and "reload_document" not in keywords:
                found.append(f"{path.relative_to(UI)}:{node.lineno} href={href}")
    return found


def test_every_file_link_leaves_the_apps_router():
    assert _routed_file_links() == []
