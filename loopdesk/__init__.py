"""Loopdesk: service management for a nationwide service network."""
