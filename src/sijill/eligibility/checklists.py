"""What a field visit verifies for each rule: the checklist kept as data beside the rules
(data/checklists.yaml). A rule without its own list gets the default one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml
from django.utils.translation import get_language


@dataclass(frozen=True)
class CheckItem:
    code: str
    ar: str
    en: str

    @property
    def text(self) -> str:
        """The statement in the page's language (Arabic unless the page is in English)."""
        return self.en if (get_language() or "ar").startswith("en") and self.en else self.ar


@cache
def _lists() -> dict[str, tuple[CheckItem, ...]]:
    text = (resources.files("sijill.eligibility") / "data" / "checklists.yaml").read_text(encoding="utf-8")
    return {code: tuple(CheckItem(i["code"], i["ar"], i.get("en", "")) for i in items)
            for code, items in yaml.safe_load(text).items()}


def checklist(rule_code: str) -> tuple[CheckItem, ...]:
    """The items a visit verifies for a finding of ``rule_code``."""
    lists = _lists()
    return lists.get(rule_code) or lists["default"]


def rule_codes() -> set[str]:
    """The rules that have their own list (the rest use ``default``)."""
    return set(_lists()) - {"default"}
