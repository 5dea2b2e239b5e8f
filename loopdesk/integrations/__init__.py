"""Outbound webhooks (signed, retried, logged) and their inbound callbacks."""
