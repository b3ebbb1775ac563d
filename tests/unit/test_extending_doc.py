"""docs/extending.md stays true: everything it imports exists, its code is valid Python,
and the files and names it points at are where it says."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "extending.md").read_text()
# Files the walk-throughs tell you to create (the examples' own modules) do not exist yet.
EXAMPLES = {
    "kontrol_app/services/suppliers.py",
    "kontrol_app/ui/staff/settings_suppliers.py",
    "kontrol_app/templates/email/sample_shipped.txt",
}


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC, flags=re.S)


def test_the_code_is_valid_python():
    blocks = _python_blocks()
    assert len(blocks) >= 5
    for block in blocks:
        ast.parse(block)


def test_everything_it_imports_exists():
    imported = 0
    for block in _python_blocks():
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kontrol_app"):
                if node.module == "kontrol_app.services" and any(a.name == "suppliers" for a in node.names):
                    continue  # the example's own service
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name) or importlib.util.find_spec(f"{node.module}.{alias.name}"), (
                        f"{node.module}.{alias.name}"
                    )
                    imported += 1
    assert imported >= 20


def test_the_files_it_names_exist():
    named = set(re.findall(r"`((?:kontrol_app|tests|alembic)/[\w/.]+)`", DOC))
    assert named
    for path in named - EXAMPLES:
        assert (ROOT / path).exists(), path


def test_the_helpers_it_names_exist():
    from kontrol_app.ui.guard import StaffState
    from kontrol_app.ui.portal.session import PortalSession, forget_portal

    assert hasattr(StaffState, "_route_id") and callable(forget_portal) and PortalSession.parts
    assert "StaffState" in DOC and "PortalSession" in DOC and "forget_portal" in DOC
