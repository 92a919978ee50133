"""Template filters for mixed Arabic and Latin text: dates, numbers and codes keep their order in RTL."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def ltr(value):
    """Isolate left-to-right text (a date, a national ID, a record number) inside Arabic text."""
    if value in (None, ""):
        return "—"
    return format_html('<bdi dir="ltr">{}</bdi>', value)


@register.filter
def day(value):
    """A date as YYYY-MM-DD, isolated left-to-right."""
    return ltr(value.strftime("%Y-%m-%d") if value else None)


@register.filter
def born(person):
    """A birth date as precise as it is known: 1985-03-02, 1985-03 or 1985."""
    if person.birth_precision == "day" and person.birth_date:
        return ltr(person.birth_date.strftime("%Y-%m-%d"))
    if person.birth_precision == "month" and person.birth_date:
        return ltr(person.birth_date.strftime("%Y-%m"))
    return ltr(person.birth_year)


@register.filter
def role_label(code: str) -> str:
    """The role's name in the current language (the audit trail keeps the code)."""
    from sijill.accounts.roles import Role

    return Role(code).label if code in Role.values else code
