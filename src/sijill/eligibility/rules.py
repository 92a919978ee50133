"""Rules as versioned data: the shipped defaults, the versions in force, and how a change makes a new one.

A version is never edited. Saving a change writes version n+1; putting a version in force takes every
other version of that rule out of force, so at most one version of a rule is in force at a time.
"""

from __future__ import annotations

from importlib import resources

import yaml
from django.db import router, transaction
from django.db.models import Max

from sijill.audit.trail import record

from .kinds import HIT_KINDS, REGISTRY_KINDS
from .models import Rule

KNOWN_KINDS = HIT_KINDS | REGISTRY_KINDS


def shipped_rules() -> list[dict]:
    """The announced rules with their default parameters (data/rules.yaml)."""
    text = (resources.files("sijill.eligibility") / "data" / "rules.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def install_shipped_rules(rule_model=Rule) -> int:
    """Create version 1 of every shipped rule that does not exist yet, in force. Returns how many."""
    created = 0
    for spec in shipped_rules():
        if not rule_model.objects.filter(code=spec["code"]).exists():
            rule_model.objects.create(version=1, active=True, note="shipped default", **spec)
            created += 1
    return created


def in_force() -> list[Rule]:
    """The latest active version of each rule."""
    latest = {}
    for rule in Rule.objects.filter(active=True).order_by("code", "-version"):
        latest.setdefault(rule.code, rule)
    return list(latest.values())


def check_parameters(kind: str, parameters: dict) -> None:
    """Refuse a version its evaluator could not read (a typo in a field name is caught by the preview)."""
    if kind not in KNOWN_KINDS:
        raise ValueError(f"unknown rule kind {kind!r}")
    if not isinstance(parameters, dict):
        raise ValueError("parameters must be a mapping of names to values")
    required = {"record": ("date_field",), "death": ("date_field",), "abroad": ("exit_field", "return_field", "days")}
    missing = [name for name in required.get(kind, ()) if name not in parameters]
    if missing:
        raise ValueError(f"a {kind} rule needs the parameters {', '.join(missing)}")
    for name in ("min_amount_iqd", "max_vehicle_age_years", "days"):
        value = parameters.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ValueError(f"{name} must be a whole number, zero or more")


def new_version(rule: Rule, *, parameters: dict, note: str, user, active: bool, name_ar: str | None = None,
                name_en: str | None = None, request=None) -> Rule:
    """Save a change to ``rule`` as the next version of its code (in force at once, or as a draft)."""
    check_parameters(rule.kind, parameters)
    with transaction.atomic(using=router.db_for_write(Rule)):
        top = Rule.objects.select_for_update().filter(code=rule.code).aggregate(v=Max("version"))["v"] or 0
        created = Rule.objects.create(code=rule.code, version=top + 1, kind=rule.kind, agency=rule.agency,
                                      name_ar=name_ar or rule.name_ar, name_en=name_en or rule.name_en,
                                      parameters=parameters, active=False, created_by=user, note=note)
        record("rule_version", request=request, user=user, target=created, based_on=rule.version,
               parameters=parameters, note=note)
        if active:
            put_in_force(created, user=user, request=request)
    return created


def put_in_force(rule: Rule, *, user, request=None) -> Rule:
    with transaction.atomic(using=router.db_for_write(Rule)):
        Rule.objects.filter(code=rule.code).exclude(pk=rule.pk).update(active=False)
        Rule.objects.filter(pk=rule.pk).update(active=True)
        rule.active = True
        record("rule_in_force", request=request, user=user, target=rule)
    return rule


def withdraw(rule: Rule, *, user, request=None) -> None:
    """Take a rule out of force (no version of its code applies until one is put in force again)."""
    Rule.objects.filter(code=rule.code).update(active=False)
    record("rule_withdrawn", request=request, user=user, target=rule)
