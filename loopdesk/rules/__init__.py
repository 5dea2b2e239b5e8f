"""Automation rules: triggers, JSON condition trees and actions, ordered, with dry runs."""
