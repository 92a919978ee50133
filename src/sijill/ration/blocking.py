"""Blocking the dead and the emigrated: a suspicion, not a verdict.

A hit from Interior's deaths or travel proposes a block. A clerk of the member's centre verifies it against
the evidence (or dismisses it); the household is notified (an Arabic notice, printable and on its self-service
page) and may contest within the period set in ``data/blocking.yaml``; only after that period does someone
other than the verifier block the share. A contest is decided by a clerk who neither verified nor blocked; a
wrong block is lifted with the missed months restored. The member is never deleted.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml
from django.db import transaction
from django.utils import timezone

from sijill import identity
from sijill.common.explain import explain
from sijill.pprl.registry import OpenedHit

from .baskets import months_between
from .history import log_event
from .models import Block, BlockState, Member, MemberStatus

OPEN = (BlockState.PROPOSED, BlockState.NOTIFIED, BlockState.BLOCKED, BlockState.CONTESTED)


class DueProcessError(ValueError):
    """A step taken out of order, by the wrong person, or too early; says which."""


@dataclass(frozen=True)
class Rule:
    code: str
    source: str
    ar: str
    en: str
    min_days_abroad: int = 0


@dataclass(frozen=True)
class Rules:
    version: int
    notice_days: int
    rules: tuple[Rule, ...]

    def for_source(self, source: str) -> list[Rule]:
        return [r for r in self.rules if r.source == source]

    def get(self, code: str) -> Rule | None:
        return next((r for r in self.rules if r.code == code), None)


@cache
def rules() -> Rules:
    data = yaml.safe_load((resources.files("sijill.ration") / "data" / "blocking.yaml").read_text(encoding="utf-8"))
    return Rules(int(data["version"]), int(data["notice_days"]), tuple(Rule(**r) for r in data["rules"]))


def _date(text) -> dt.date | None:
    if not text:
        return None
    try:
        return identity.parse_date(str(text)).as_date()
    except identity.IdentityError:
        return None


def applies(rule: Rule, payload: dict, on: dt.date) -> bool:
    """Whether the opened payload of a hit from the rule's source meets the rule on ``on``."""
    if rule.source == "travel":
        left, back = _date(payload.get("تاريخ المغادرة")), _date(payload.get("تاريخ العودة"))
        return left is not None and back is None and (on - left).days >= rule.min_days_abroad
    return True


def propose_from_hits(run, hits: list[OpenedHit], *, on: dt.date | None = None) -> list[Block]:
    """One proposal per member and rule met (none while an earlier block of the same source is still open)."""
    on = on or timezone.localdate()
    table = rules()
    members = {m.record_id: m for m in Member.objects.filter(
        record_id__in={h.registry_record_id for h in hits}).select_related("card")}
    open_ = set(Block.objects.filter(state__in=OPEN).values_list("member_id", "source"))
    made = []
    with transaction.atomic():
        for hit in hits:
            member = members.get(hit.registry_record_id)
            if member is None or member.status == MemberStatus.REMOVED:
                continue
            for rule in table.for_source(hit.agency):
                if not applies(rule, hit.payload, on) or (member.pk, rule.source) in open_:
                    continue
                words = explain([level.as_dict() for level in hit.explanation], "ar")
                evidence = {**hit.payload, "agreement": "؛ ".join(words),
                            "probability": hit.probability}
                made.append(Block.objects.create(
                    member=member, run=run, source=rule.source, rule=rule.code, rule_version=table.version,
                    match_class=hit.match_class, evidence=evidence, proposed_at=timezone.now()))
                open_.add((member.pk, rule.source))
                log_event(member.card, "block_proposed", member=member, source=f"cycle:{run.cycle.code}",
                          reason=rule.en, rule=rule.code, match_class=hit.match_class)
    return made


def _same(a, b) -> bool:
    return a is not None and b is not None and a.pk == b.pk


def verify(block: Block, user, *, confirmed: bool, note: str = "", on: dt.date | None = None) -> Block:
    """The clerk checks the evidence: a confirmed suspicion is notified to the household, else dismissed."""
    on = on or timezone.localdate()
    if block.state != BlockState.PROPOSED:
        raise DueProcessError("only a proposed block is verified")
    if confirmed:
        block.state, block.notified_on = BlockState.NOTIFIED, on
        block.respond_by = on + dt.timedelta(days=rules().notice_days)
        block.notice_number = f"{secrets.randbelow(10**10):010d}"
    else:
        block.state, block.decision_reason = BlockState.DISMISSED, note
    block.verified_by = user
    block.save()
    log_event(block.member.card, "block_notified" if confirmed else "block_dismissed", member=block.member,
              source="centre", user=user, reason=note, block=block.pk)
    return block


def apply_block(block: Block, user, *, on: dt.date | None = None) -> Block:
    """After the response period without a contest, someone other than the verifier blocks the share from the
    next month on."""
    on = on or timezone.localdate()
    if block.state != BlockState.NOTIFIED:
        raise DueProcessError("only a notified block, not contested, can be applied")
    if on <= block.respond_by:
        raise DueProcessError(f"the household may respond until {block.respond_by}")
    if _same(user, block.verified_by):
        raise DueProcessError("the clerk who verified a block does not apply it")
    with transaction.atomic():
        block.state, block.blocked_by = BlockState.BLOCKED, user
        block.blocked_from = _next_month(on)
        block.save()
        Member.objects.filter(pk=block.member_id).update(status=MemberStatus.BLOCKED)
        log_event(block.member.card, "share_blocked", member=block.member, source="centre", user=user,
                  reason=rules().get(block.rule).en if rules().get(block.rule) else block.rule, block=block.pk,
                  from_month=str(block.blocked_from))
    return block


def contest(block: Block, reason: str, *, user=None, on: dt.date | None = None) -> Block:
    """The household contests (at its centre, or on its self-service page): the decision goes to a clerk."""
    on = on or timezone.localdate()
    if block.state not in (BlockState.NOTIFIED, BlockState.BLOCKED):
        raise DueProcessError("only a notified or applied block can be contested")
    block.state, block.contested_on, block.contest_reason = BlockState.CONTESTED, on, reason.strip()
    block.save()
    log_event(block.member.card, "block_contested", member=block.member, source="household" if user is None else
              "centre", user=user, reason=reason, block=block.pk)
    return block


def decide_contest(block: Block, user, *, lift: bool, reason: str, on: dt.date | None = None) -> Block:
    """A clerk who neither verified nor applied the block decides. Lifting restores the missed months."""
    on = on or timezone.localdate()
    if block.state != BlockState.CONTESTED:
        raise DueProcessError("only a contested block is decided")
    if _same(user, block.verified_by) or _same(user, block.blocked_by):
        raise DueProcessError("a contest is decided by someone who neither verified nor applied the block")
    if not reason.strip():
        raise DueProcessError("say why: the household reads the reason")
    with transaction.atomic():
        block.decided_by, block.decided_on, block.decision_reason = user, on, reason.strip()
        if lift:
            block.state = BlockState.LIFTED
            block.months_restored = months_between(block.blocked_from, on) if block.blocked_from else 0
            Member.objects.filter(pk=block.member_id).update(status=MemberStatus.ACTIVE)
            log_event(block.member.card, "share_restored", member=block.member, source="centre", user=user,
                      reason=reason, block=block.pk, months_restored=block.months_restored)
        else:
            block.state = BlockState.CONFIRMED
            if block.blocked_from is None:
                block.blocked_from, block.blocked_by = _next_month(on), user
            Member.objects.filter(pk=block.member_id).update(status=MemberStatus.BLOCKED)
            log_event(block.member.card, "contest_refused", member=block.member, source="centre", user=user,
                      reason=reason, block=block.pk)
        block.save()
    return block


def _next_month(on: dt.date) -> dt.date:
    return (on.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def lifted_share() -> list[dict]:
    """Of the blocks that were applied or decided, the share later lifted, per source and rule: the
    false-positive rate of each rule, as the social registry reports its own."""
    out = []
    decided = (BlockState.BLOCKED, BlockState.LIFTED, BlockState.CONFIRMED, BlockState.CONTESTED,
               BlockState.DISMISSED)
    for rule in rules().rules:
        qs = Block.objects.filter(source=rule.source, rule=rule.code, state__in=decided)
        total, lifted = qs.count(), qs.filter(state__in=(BlockState.LIFTED, BlockState.DISMISSED)).count()
        out.append({"source": rule.source, "rule": rule.code, "title": rule, "decided": total, "lifted": lifted,
                    "share": round(100 * lifted / total, 1) if total else None})
    return out
