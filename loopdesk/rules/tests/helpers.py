from loopdesk.rules import services
from loopdesk.tickets import services as tickets


def rule(w, trigger="created", conditions=None, actions=None, **kw):
    return services.create_rule(
        actor=w.admin, name=kw.pop("name", f"rule {trigger}"), trigger=trigger,
        conditions=conditions or {}, actions=actions or [{"type": "set_priority", "value": 1}], **kw,
    )


def ticket(w, actor=None, **kw):
    kw.setdefault("title", "凭证打印不出来")
    kw.setdefault("description", "打印凭证时提示 340 没有注册类别")
    return tickets.create_ticket(actor=actor or w.agent, company=kw.pop("company", w.acme), **kw)


def cond(field, op, value=None, **extra):
    node = {"field": field, "op": op, **extra}
    if value is not None:
        node["value"] = value
    return node
