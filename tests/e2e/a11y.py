"""axe-core in the browser tests: a page passes when axe finds nothing serious or critical.

axe-playwright-python bundles axe-core (nothing is downloaded); `Axe().run(page)` injects
it into the page and returns axe's own result object.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

FAILING_IMPACTS = ("serious", "critical")

_axe = Axe()


# A dialog fading in is judged half transparent (its colours blended with the page): wait until
# no finite animation is running (spinners loop forever and are left alone), polled every frame.
# Wait for the dialog itself (expect ... to_be_visible) before calling this.
_SETTLED = """() => document.getAnimations().every(
    a => a.playState !== "running" || !a.effect || a.effect.getComputedTiming().iterations === Infinity)"""


def violations(page: Page, impacts: tuple[str, ...] = FAILING_IMPACTS) -> list[dict]:
    """axe's violations on the page as it is now, only those of the given impacts."""
    page.wait_for_function(_SETTLED, polling="raf")
    found = _axe.run(page).response["violations"]
    return [v for v in found if v.get("impact") in impacts]


def report(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"][:8]:
            lines.append(f"    {' '.join(str(t) for t in node['target'])}: {node['html'][:200]}")
            lines.extend(f"      {line}" for line in node.get("failureSummary", "").splitlines()[:4])
    return "\n".join(lines)


# Controls a screen reader reaches with no name but their placeholder (which axe accepts, and
# which vanishes once something is typed). Hidden copies Radix keeps for forms are skipped.
_NAMED_BY_PLACEHOLDER_ONLY = """() => [...document.querySelectorAll("input:not([type=hidden]), textarea, select")]
    .filter(el => !el.closest("[aria-hidden=true]"))
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
    .map(el => el.outerHTML.slice(0, 200))"""


# A button inside a link (or the like): not valid HTML, and the keyboard stops on it twice.
_NESTED_CONTROLS = """() => [...document.querySelectorAll("a button, a a, button a, button button")]
    .map(el => el.parentElement.closest("a, button").outerHTML.slice(0, 200))"""


# What a screen reader's "next heading" and "main" keys land on: one h1 naming the page, one main.
_OUTLINE = """() => [document.querySelectorAll("h1").length, document.querySelectorAll("main, [role=main]").length]"""


def assert_accessible(page: Page, what: str = "") -> None:
    """Fail on any serious or critical axe-core violation on `page` as it is shown now, on a
    control with no name but its placeholder, on a control inside another, and on a page
    without exactly one h1 and one main landmark."""
    found = violations(page)
    assert not found, f"axe-core on {what or page.url}:\n{report(found)}"
    unnamed = page.evaluate(_NAMED_BY_PLACEHOLDER_ONLY)
    assert not unnamed, f"controls without a label on {what or page.url}:\n" + "\n".join(unnamed)
    nested = page.evaluate(_NESTED_CONTROLS)
    assert not nested, f"a control inside another on {what or page.url} (two keyboard stops, invalid HTML):\n" + "\n".join(nested)
    h1s, mains = page.evaluate(_OUTLINE)
    assert (h1s, mains) == (1, 1), f"{what or page.url} has {h1s} h1 and {mains} main landmarks (one of each)"
