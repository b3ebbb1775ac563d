"""Every worker's start: the PDF fonts prepared, then the heap it built left out of the garbage
collector's walks (a full collection otherwise walked every page and state class, ~150 ms)."""

from __future__ import annotations

import asyncio
import gc

import kontrol_app.kontrol_app as app_module
from kontrol_app import background
from kontrol_app.services import pdf_fonts


def test_the_app_warms_up_every_worker_at_start():
    assert background.warm_up in app_module.app.get_lifespan_tasks()


def test_warm_up_prepares_the_fonts_then_freezes_what_start_up_built_and_collects_less_often():
    thresholds = gc.get_threshold()
    faces = dict(pdf_fonts._faces)
    pdf_fonts._faces.clear()
    try:
        asyncio.run(background.warm_up())
        assert gc.get_freeze_count() > 10_000  # this process's modules, classes and app
        assert gc.get_threshold() == background.GC_THRESHOLDS
        assert gc.get_threshold()[0] > thresholds[0]
        if pdf_fonts.has_unicode():
            assert len(pdf_fonts._faces) == 2
    finally:
        pdf_fonts._faces.update(faces)
        gc.unfreeze()
        gc.set_threshold(*thresholds)
