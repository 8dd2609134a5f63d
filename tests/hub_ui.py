"""Clicks in nbgrader's web UIs for tests/test_hub.py: Formgrader and the Assignment List."""

from __future__ import annotations

import re
from typing import Any

import hub_driver as hd

MS = 1000


def modal_ok(page: Any, what: str) -> None:
    """Formgrader answers each action with a success or an error dialog; close the first."""
    page.wait_for_selector("#success-modal, #error-modal", state="visible", timeout=300 * MS)
    if page.locator("#error-modal").count():
        raise AssertionError(f"Formgrader {what} failed:\n" + page.locator("#error-modal").inner_text())
    page.locator("#success-modal button.btn-primary").click()
    page.wait_for_selector("#success-modal", state="detached", timeout=30 * MS)


def formgrader_action(page: Any, hub: hd.Hub, assignment: str, cell: str, what: str) -> None:
    """Formgrader ▸ Manage Assignments: click the link in column ``cell`` of ``assignment``'s row."""
    page.goto(hub.url + f"user/{hub.instructor}/formgrader/manage_assignments")
    row = page.locator("tr", has=page.locator("td.name", has_text=assignment))
    link = row.locator(f"td.{cell} a")
    link.wait_for()
    link.click()
    modal_ok(page, what)


def nbgrader_menu(page: Any) -> list[str]:
    """Open JupyterLab's Nbgrader menu; its items."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel").first.wait_for()
    return page.locator(".lm-Menu-itemLabel").all_inner_texts()


def open_assignment_list(page: Any) -> None:
    """Nbgrader ▸ Assignment List, checking on the way that this is the student view."""
    items = nbgrader_menu(page)
    assert "Formgrader" not in items and "Assignment List" in items, items
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    page.wait_for_selector("#released_assignments_list", timeout=120 * MS)


def wait_listed(page: Any, list_id: str, assignment: str, timeout_s: float = 120) -> None:
    """Wait until ``assignment`` shows in one section of the Assignment List."""
    page.locator(f"#{list_id} .list_item", has_text=assignment).first.wait_for(timeout=timeout_s * MS)


def list_button(page: Any, list_id: str, assignment: str, button: str) -> None:
    """Click ``button`` (Fetch, Submit, Fetch Feedback) on ``assignment`` in one section."""
    row = page.locator(f"#{list_id} .list_item", has_text=assignment).first
    row.locator("button", has_text=re.compile(f"^{button}$")).click()
