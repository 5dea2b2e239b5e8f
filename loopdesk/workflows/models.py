"""Workflows as data: states mapped to phases, transitions, guards, versions and diagrams."""
