"""The agent workspace: queues, the new-ticket form, the ticket page and its actions, downloads."""

from .actions import add_link, assign, edit, merge, remove_link, reply, transition, watch
from .attachments import download
from .create import new_ticket
from .detail import detail, edit_panel
from .export import export
from .queue import queue

__all__ = [
    "add_link", "assign", "detail", "download", "edit", "edit_panel", "export", "merge", "new_ticket", "queue", "remove_link", "reply",
    "transition", "watch",
]
