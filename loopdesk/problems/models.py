"""Problem records: linked incidents, root cause, workaround, known errors."""
