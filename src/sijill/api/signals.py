"""Hooks other apps connect to, so that this app never imports them.

``death_notified`` is sent once per registered person a civil registry's death notification names, after
the social registry's finding and case: the ration registry connects to it to block the member's share
pending verification. Arguments: ``person`` (registry.Person), ``death_date`` (date), ``sender_id`` (the
civil registry), ``reference_id`` (the notification's), ``case`` (cases.Case or None).
"""

from __future__ import annotations

from django.dispatch import Signal

death_notified = Signal()
