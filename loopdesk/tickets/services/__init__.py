"""Every write to a ticket goes through these functions (one transaction each, history recorded)."""

from .attachments import add_attachment
from .batch import create_tickets
from .core import (
    add_comment,
    assign_ticket,
    auto_close_resolved,
    create_ticket,
    transition_ticket,
    update_ticket,
)
from .lifecycle import allowed_transitions, available_transitions
from .links import link_tickets, merge_tickets, set_watcher, unlink_tickets

__all__ = [
    "add_attachment", "add_comment", "allowed_transitions", "assign_ticket", "auto_close_resolved",
    "available_transitions", "create_ticket", "create_tickets", "link_tickets", "merge_tickets", "set_watcher", "transition_ticket", "unlink_tickets",
    "update_ticket",
]
