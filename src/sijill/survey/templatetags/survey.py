"""Small filters for drawing a questionnaire: labels in the page's language, a repeat's questions."""

import json

from django import template
from django.utils.translation import get_language

from ..xlsform import label, questions

register = template.Library()


@register.filter
def pick(texts) -> str:
    return label(texts, "en" if (get_language() or "ar").startswith("en") else "ar")


@register.filter
def children(spec, repeat):
    return questions(spec, repeat)


@register.filter
def get(row, key):
    return row.get(key) if isinstance(row, dict) else None


@register.filter
def as_json(value) -> str:
    return json.dumps(value, ensure_ascii=False)
