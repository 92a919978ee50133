"""Dashboards and reports of what the cross-matching achieved."""
