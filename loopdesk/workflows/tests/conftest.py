"""Fixtures of the workflow engine tests: a clean per-process cache and custom definitions."""

from __future__ import annotations

import copy

import pytest

from loopdesk.workflows import defaults
from loopdesk.workflows.flow import forget
from loopdesk.workflows.vocabulary import STAFF_ROLES


@pytest.fixture(autouse=True)
def _fresh_cache():
    forget()  # version ids are reused after a rollback on SQLite
    yield
    forget()


def state(key: str, phase: str, zh: str, en: str, initial: bool = False) -> dict:
    out = {"key": key, "label": {"zh-hans": zh, "en": en}, "phase": phase}
    if initial:
        out["initial"] = True
    return out


def step(key: str, frm: list[str], to: str, *, roles: list[str] | None = None, customer: bool = False, **extra) -> dict:
    return {"key": key, "from": frm, "to": to, "label": {"zh-hans": key, "en": key},
            "roles": list(STAFF_ROLES) if roles is None else roles, "customer": customer, **extra}


def with_waiting_parts(base: dict | None = None) -> dict:
    """The incident workflow plus `waiting_parts` (phase waiting), reached from in_progress by engineers
    and managers only, and left back to in_progress."""
    d = copy.deepcopy(base or defaults.definition("incident"))
    d["states"].insert(4, state("waiting_parts", "waiting", "等待备件", "Waiting for parts"))
    d["transitions"].append(step("wait_parts", ["in_progress"], "waiting_parts", roles=["engineer", "manager"]))
    d["transitions"].append(step("parts_arrived", ["waiting_parts"], "in_progress"))
    return d


def tiny() -> dict:
    """open → done (closed): the smallest valid workflow."""
    return {
        "states": [state("open", "open", "打开", "Open", initial=True), state("done", "closed", "完成", "Done")],
        "transitions": [step("finish", ["open"], "done")],
    }
