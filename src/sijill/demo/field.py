"""The demo's field-visit story: the registry's households arrive with their addresses in the Iraqi form and,
for some, a GPS position from an earlier survey; every rule in force has its checklist for the visit."""

from __future__ import annotations

from rich.console import Console


def field_figures(console: Console) -> dict[str, object]:
    from sijill.cases.models import Case
    from sijill.eligibility.checklists import rule_codes
    from sijill.eligibility.rules import in_force
    from sijill.registry.models import Household, HouseholdAddress, HouseholdLocation

    households = Household.objects.count()
    addressed = HouseholdAddress.objects.values("household").distinct().count()
    located = HouseholdLocation.objects.values("household").distinct().count()
    cases = Case.objects.count()
    cases_addressed = Case.objects.filter(person__membership__household__addresses__isnull=False).distinct().count()
    rules = [r.code for r in in_force()]
    figures = {"households": households, "with_address": addressed, "with_location": located, "cases": cases,
               "cases_with_address": cases_addressed,
               "rules_with_checklist": sum(1 for code in rules if code in rule_codes()), "rules_in_force": len(rules)}
    sample = HouseholdAddress.objects.exclude(landmark="").order_by("pk").first()
    console.print(f"  field visits: {addressed:,} of {households:,} households have an address, {located:,} a GPS "
                  f"position (geo: links on the visit page); {cases_addressed:,} of {cases:,} cases can be visited "
                  f"at an address; {figures['rules_with_checklist']} of {len(rules)} rules in force have a checklist"
                  + (f"\n  e.g. {sample.one_line} — {sample.landmark}" if sample else ""))
    return figures
