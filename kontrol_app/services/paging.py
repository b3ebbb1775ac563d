"""Paging in SQL: which page to show and where it starts, for every paged list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageWindow:
    page: int  # 1-based, clamped to the pages that exist
    pages: int  # at least 1, so "Page 1 of 1" for an empty list
    offset: int
    limit: int


def page_window(total: int, page: int, page_size: int) -> PageWindow:
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    return PageWindow(page=page, pages=pages, offset=(page - 1) * page_size, limit=page_size)
