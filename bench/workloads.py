"""The measured workloads: API intake rate, page and API latencies, worker memory.

Each returns one figure: {"name", "value", "unit", "target", "ok", ...details}.
"""

from __future__ import annotations

import json
import random

from .client import Client, percentile, run_concurrent, run_sequential
from .server import Server

TITLES = ["凭证打印格式错乱", "月末结账提示存在未记账凭证", "客户端连不上数据库服务器", "加密锁无法识别", "流程审批卡在某个节点",
          "薪资计算个税结果不对", "库存现存量与实际不符", "操作员密码忘记"]


def figure(name: str, value: float | None, unit: str, target: float, *, higher_is_better: bool, **extra) -> dict:
    ok = value is not None and value == value and (value >= target if higher_is_better else value <= target)
    return {"name": name, "value": None if value is None or value != value else round(value, 1), "unit": unit,
            "target": target, "ok": bool(ok and not extra.get("error")), **extra}


def intake(*, port: int, token: str, customer_ids: list[int], clients: int, seconds: float,
           target: float = 300, batch: int = 0) -> tuple[dict, list[dict]]:
    """Concurrent clients POST /api/v1/tickets (or, with `batch`, POST /api/v1/tickets/batch with that
    many tickets each, as a channel gateway does); the rate of tickets acknowledged with 201. Returns the
    figure and the created {"id", "number"} bodies (the caller checks every one is stored)."""
    rng = random.Random(1)

    def one(i: int) -> dict:
        title = f"{rng.choice(TITLES)}（压测 {i}）"
        return {"title": title, "description": f"{title}：接口压测提交的请求。", "customer_id": rng.choice(customer_ids)}

    def make_request(i: int):
        if batch:
            return "POST", "/api/v1/tickets/batch", {"tickets": [one(i * batch + k) for k in range(batch)]}
        return "POST", "/api/v1/tickets", one(i)

    result = run_concurrent(lambda: Client("127.0.0.1", port, {"Authorization": f"Bearer {token}"}), make_request,
                            clients=clients, seconds=seconds)
    created, bad = [], []
    for s in result.samples:
        if s.status == 201:
            try:
                body = json.loads(s.body)
                items = body["items"] if batch else [body]
                created.extend({"id": t["id"], "number": t["number"]} for t in items)
            except (ValueError, KeyError, TypeError):
                bad.append(s)
    rate = len(created) / result.seconds if result.seconds else 0.0
    latencies = [s.seconds * 1000 for s in result.samples if s.status == 201]
    extra = {
        **({"batch": batch} if batch else {}),
        "clients": clients, "seconds": round(result.seconds, 1), "created": len(created),
        "requests": len(result.samples), "statuses": result.statuses(),
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
    }
    if bad:
        extra["error"] = f"{len(bad)} responses with status 201 lacked id/number"
    elif len(created) != len(result.samples) * (batch or 1):
        first = next(s for s in result.samples if s.status != 201)
        extra["error"] = f"{len(result.samples) - len(created)} requests failed, e.g. HTTP {first.status}: " \
                         f"{first.body[:200].decode(errors='replace')}"
    name = "api_intake_rate_batch" if batch else "api_intake_rate"
    return figure(name, rate, "tickets/s", target, higher_is_better=True, **extra), created


def latency(name: str, client: Client, paths: list[str], *, target_ms: float = 50, expect: int = 200) -> dict:
    """p95 of sequential GETs (one keep-alive connection, after warm-up)."""
    samples = run_sequential(client, paths)
    good = [s.seconds * 1000 for s in samples if s.status == expect]
    extra = {"requests": len(samples), "statuses": _statuses(samples),
             "p50_ms": round(percentile(good, 50), 1) if good else None,
             "p99_ms": round(percentile(good, 99), 1) if good else None,
             "example": paths[0]}
    if len(good) != len(samples):
        first = next(s for s in samples if s.status != expect)
        extra["error"] = f"{len(samples) - len(good)} of {len(samples)} requests did not return {expect} " \
                         f"(e.g. HTTP {first.status})"
    return figure(name, percentile(good, 95) if good else None, "ms (p95)", target_ms, higher_is_better=False, **extra)


def memory(server: Server, *, target_mb: float = 250) -> dict:
    peaks = server.worker_peak_rss_mb()
    extra = {"workers": {str(pid): round(mb, 1) for pid, mb in sorted(peaks.items())}, "measure": "VmHWM"}
    if not peaks:
        extra["error"] = "no gunicorn worker processes found"
    return figure("web_worker_peak_memory", max(peaks.values()) if peaks else None, "MiB", target_mb,
                  higher_is_better=False, **extra)


def _statuses(samples) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in samples:
        counts[str(s.status)] = counts.get(str(s.status), 0) + 1
    return counts
