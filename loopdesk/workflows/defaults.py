"""The ITR workflows that ship with Loopdesk, as data (seeded by a migration and `ensure_defaults`).

The incident workflow is the foundation's fixed lifecycle expressed as a workflow, transition for
transition; the other types share its state keys (so queues, SLA pauses and the portal keep working)
and add their own states where the work differs (problem: known error; work order: dispatched, on
site, waiting for parts).
"""

from __future__ import annotations

import copy

from .vocabulary import REOPEN_WINDOW, STAFF_ROLES

S = {
    "new": ({"zh-hans": "新建", "en": "New"}, "open"),
    "accepted": ({"zh-hans": "已受理", "en": "Accepted"}, "working"),
    "in_progress": ({"zh-hans": "处理中", "en": "In progress"}, "working"),
    "waiting_customer": ({"zh-hans": "等待客户", "en": "Waiting for customer"}, "waiting"),
    "resolved": ({"zh-hans": "已解决", "en": "Resolved"}, "resolved"),
    "closed": ({"zh-hans": "已关闭", "en": "Closed"}, "closed"),
    "cancelled": ({"zh-hans": "已取消", "en": "Cancelled"}, "closed"),
    # problem
    "known_error": ({"zh-hans": "已知错误", "en": "Known error"}, "working"),
    # work order
    "dispatched": ({"zh-hans": "已派工", "en": "Dispatched"}, "working"),
    "on_site": ({"zh-hans": "现场处理", "en": "On site"}, "working"),
    "waiting_parts": ({"zh-hans": "等待备件", "en": "Waiting for parts"}, "waiting"),
}


def _states(*keys: str, labels: dict | None = None) -> list[dict]:
    out = []
    for key in keys:
        label, phase = S[key]
        state = {"key": key, "label": dict((labels or {}).get(key, label)), "phase": phase}
        if key == "new":
            state["initial"] = True
        out.append(state)
    return out


def _t(key: str, frm: list[str], to: str, zh: str, en: str, *, customer: bool = False, **extra) -> dict:
    return {
        "key": key, "from": frm, "to": to, "label": {"zh-hans": zh, "en": en},
        "roles": [] if customer else list(STAFF_ROLES), "customer": customer, "guard": None,
        "required": extra.pop("required", []), "form": extra.pop("form", ["comment"]),
        "within_days": extra.pop("within_days", None), "actions": extra.pop("actions", []),
    }


OPEN = ["new", "accepted", "in_progress", "waiting_customer"]


def _resolve(frm: list[str]) -> dict:
    return _t("resolve", frm, "resolved", "解决", "Resolve", required=["resolution"], form=["resolution", "comment"])


def _after_resolution(customer: bool = True) -> list[dict]:
    out = [
        _t("close", ["resolved"], "closed", "关闭", "Close"),
        _t("reopen_resolved", ["resolved"], "in_progress", "重新处理", "Rework"),
        _t("reopen_closed", ["closed"], "in_progress", "重新打开", "Reopen", within_days=REOPEN_WINDOW),
    ]
    if customer:
        out += [
            _t("confirm", ["resolved"], "closed", "确认解决", "Confirm resolution", customer=True, form=[]),
            _t("reopen", ["resolved", "closed"], "in_progress", "重新打开", "Reopen", customer=True,
               within_days=REOPEN_WINDOW),
            _t("withdraw", ["new", "accepted"], "cancelled", "撤回", "Withdraw", customer=True),
        ]
    return out


def _standard() -> dict:
    """The foundation's lifecycle (loopdesk.tickets.services.lifecycle before workflows)."""
    return {
        "states": _states(*OPEN, "resolved", "closed", "cancelled"),
        "transitions": [
            _t("accept", ["new"], "accepted", "受理", "Accept"),
            _t("start", ["new", "accepted", "waiting_customer"], "in_progress", "开始处理", "Start work"),
            _t("wait_customer", ["accepted", "in_progress"], "waiting_customer", "等待客户", "Wait for customer"),
            _resolve(OPEN),
            _t("cancel", OPEN, "cancelled", "取消", "Cancel"),
            *_after_resolution(),
        ],
    }


def _problem() -> dict:
    labels = {"in_progress": {"zh-hans": "根因分析", "en": "Root cause analysis"}}
    frm = [*OPEN, "known_error"]
    return {
        "states": _states("new", "accepted", "in_progress", "known_error", "waiting_customer", "resolved", "closed",
                          "cancelled", labels=labels),
        "transitions": [
            _t("accept", ["new"], "accepted", "受理", "Accept"),
            _t("start", ["new", "accepted", "waiting_customer", "known_error"], "in_progress", "分析根因",
               "Analyse root cause"),
            _t("known_error", ["in_progress"], "known_error", "记为已知错误", "Record as known error"),
            _t("wait_customer", ["accepted", "in_progress"], "waiting_customer", "等待客户", "Wait for customer"),
            _resolve(frm),
            _t("cancel", frm, "cancelled", "取消", "Cancel"),
            *_after_resolution(customer=False),
        ],
    }


def _work_order() -> dict:
    frm = ["new", "accepted", "dispatched", "on_site", "in_progress", "waiting_parts", "waiting_customer"]
    return {
        "states": _states("new", "accepted", "dispatched", "on_site", "in_progress", "waiting_parts",
                          "waiting_customer", "resolved", "closed", "cancelled"),
        "transitions": [
            _t("accept", ["new"], "accepted", "受理", "Accept"),
            _t("dispatch", ["new", "accepted"], "dispatched", "派工", "Dispatch"),
            _t("arrive", ["dispatched"], "on_site", "到达现场", "Arrive on site"),
            _t("start", ["new", "accepted", "dispatched", "on_site", "waiting_parts", "waiting_customer"],
               "in_progress", "开始处理", "Start work"),
            _t("wait_parts", ["on_site", "in_progress"], "waiting_parts", "等待备件", "Wait for parts"),
            _t("wait_customer", ["accepted", "on_site", "in_progress"], "waiting_customer", "等待客户",
               "Wait for customer"),
            _resolve(frm),
            _t("cancel", frm, "cancelled", "取消", "Cancel"),
            *_after_resolution(customer=False),
        ],
    }


# key → (ticket type, name, definition factory)
DEFAULTS: dict[str, tuple[str, dict[str, str], object]] = {
    "incident": ("incident", {"zh-hans": "事件处理流程", "en": "Incident workflow"}, _standard),
    "service_request": ("service_request", {"zh-hans": "服务请求流程", "en": "Service request workflow"}, _standard),
    "consultation": ("consultation", {"zh-hans": "咨询流程", "en": "Consultation workflow"}, _standard),
    "complaint": ("complaint", {"zh-hans": "投诉流程", "en": "Complaint workflow"}, _standard),
    "problem": ("problem", {"zh-hans": "问题管理流程", "en": "Problem workflow"}, _problem),
    "work_order": ("work_order", {"zh-hans": "派工单流程", "en": "Work order workflow"}, _work_order),
}


def definition(key: str) -> dict:
    """A fresh copy of the default definition `key` (a workflow key, equal to its ticket type)."""
    return copy.deepcopy(DEFAULTS[key][2]())  # type: ignore[operator]


def name(key: str) -> str:
    return DEFAULTS[key][1]["zh-hans"]


def known_labels() -> dict[str, dict[str, str]]:
    """Labels of every state key the defaults use (for tickets not yet bound to a version)."""
    return {key: dict(label) for key, (label, _phase) in S.items()}
