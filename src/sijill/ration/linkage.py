"""The ration registry's declaration: what it encodes for its blind cycles, and where their opened hits go.

The ration registry is the registry side of its own cycles (``exchange.registries``): its card members are
encoded with the registry's keys, matched at the hub against Interior's packages, and the hits its keys open are
stored here against its members:

- hits from ``national_cards`` (Interior's unified national card register) link members to their national ID:
  each member ends linked, not found, or in conflict;
- hits from ``deaths`` and ``travel`` propose blocks, which go through due process (``blocking``);
- the hub's dedupe of the registry's own package flags persons listed on two cards (never merged).

The Ministry of Trade holds the cycle's linkage secret and its own clear members; Interior encodes its files with
its own signing key and ships packages. Neither receives the other's file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Count, Q

from sijill.exchange.registries import Registry, register
from sijill.pprl.format import LinkageSchema
from sijill.pprl.registry import OpenedHit

from .blocking import propose_from_hits
from .history import log_event
from .models import LinkState, Member, MemberStatus

CODE = "ration"
SCHEMA = Path(__file__).parent / "schemas" / "registry.yaml"
NATIONAL = "national_cards"  # Interior's holder name for the national-card register
NATIONAL_ID_FIELD = "الرقم الوطني"  # the payload field that carries the number
_BATCH = 20_000
# canonical field -> the member's value (the registry schema names the columns)
FIELDS = {"given_name": "given", "father_name": "father", "grandfather_name": "grandfather", "surname": "surname",
          "mother_name": "mother", "birth_date": "birth_date", "national_id": "national_id",
          "governorate": "card__governorate", "sex": "sex"}
PAYLOAD = {"card_no": "card__number"}


def declare() -> Registry:
    return register(Registry(code=CODE, label="البطاقة التموينية (وزارة التجارة)", schema=str(SCHEMA),
                             count=_count, batches=member_batches, store_hits=store_hits,
                             store_duplicates=store_duplicates, rule_set=None))


def _count() -> int:
    return Member.objects.exclude(status=MemberStatus.REMOVED).count()


def member_batches(schema: LinkageSchema, batch_rows: int = _BATCH) -> Iterator[dict[str, list]]:
    """The rows the ration registry encodes: every member still on a card, as its linkage schema names them."""
    columns = {schema.record_id: "record_id"}
    for field, cols in schema.fields.items():
        if field not in FIELDS:
            raise ValueError(f"the ration registry's schema maps {field}, which a card member does not hold")
        columns[cols[0]] = FIELDS[field]
    columns.update({name: PAYLOAD[name] for name in schema.payload})
    names, paths = list(columns), list(columns.values())
    rows = Member.objects.exclude(status=MemberStatus.REMOVED).order_by("pk").values_list(*paths)
    batch: dict[str, list] = {n: [] for n in names}
    for row in rows.iterator(chunk_size=batch_rows):
        for name, value in zip(names, row, strict=True):
            batch[name].append(value or None)
        if len(batch[names[0]]) >= batch_rows:
            yield batch
            batch = {n: [] for n in names}
    if batch[names[0]]:
        yield batch


def store_hits(run, hits: list[OpenedHit]) -> list:
    """Interior's national cards link members; its deaths and travel propose blocks. Returns what was stored."""
    partners = set(run.package_hashes) - {"registry"}  # the agencies' packages are at the hub, named by the run
    stored: list = []
    if NATIONAL in partners:
        stored += store_links([h for h in hits if h.agency == NATIONAL])
    others = [h for h in hits if h.agency != NATIONAL]
    if others:
        stored += propose_from_hits(run, others, on=run.as_of)
    return stored


def store_links(hits: list[OpenedHit]) -> list[Member]:
    """Each member ends linked, not found, or in conflict (one person with two numbers; two people for one
    number; an uncertain match for the centre to check). Returns the members linked."""
    found = {h.registry_record_id: h for h in hits}
    members = list(Member.objects.exclude(status=MemberStatus.REMOVED))
    for m in members:
        hit = found.get(m.record_id)
        m.link_class = hit.match_class if hit else ""
        number = str(hit.payload.get(NATIONAL_ID_FIELD) or "") if hit else ""
        if hit is None:
            m.link_state, m.linked_national_id, m.link_note = LinkState.NOT_FOUND, "", ""
        elif hit.match_class == "review":
            m.link_state, m.linked_national_id = LinkState.CONFLICT, number
            m.link_note = "uncertain match: check the member's documents at the centre"
        elif m.national_id and m.national_id != number:
            m.link_state, m.linked_national_id = LinkState.CONFLICT, number
            m.link_note = "two numbers: the card's national ID differs from Interior's"
        else:
            m.link_state, m.linked_national_id, m.link_note = LinkState.LINKED, number, ""
    _shared_numbers(members)
    with transaction.atomic():
        Member.objects.bulk_update(members, ["link_state", "linked_national_id", "link_class", "link_note"],
                                   batch_size=2_000)
    return [m for m in members if m.link_state == LinkState.LINKED]


def _shared_numbers(members: list[Member]) -> None:
    """Two different people written with one national ID: both go to the centre as a conflict."""
    by_number: dict[str, list[Member]] = {}
    for m in members:
        if m.national_id:
            by_number.setdefault(m.national_id, []).append(m)
    for same in by_number.values():
        people = {m.linked_national_id or m.record_id for m in same}
        if len(same) > 1 and len(people) > 1:
            for m in same:
                m.link_state = LinkState.CONFLICT
                m.link_note = "two people for one number: the card's national ID is also another member's"


@dataclass(frozen=True)
class Flagged:
    found: int
    new: int

    def as_dict(self) -> dict:
        return {"found": self.found, "new": self.new}


def store_duplicates(pairs: list[OpenedHit], source: str) -> Flagged:
    """The hub's dedupe of the registry's package: a person on two cards is flagged on both, never merged."""
    ids = {p.registry_record_id for p in pairs} | {p.partner_record_id for p in pairs if p.partner_record_id}
    by_id = {m.record_id: m for m in Member.objects.filter(record_id__in=ids).select_related("card")}
    found = new = 0
    for p in pairs:
        a, b = by_id.get(p.registry_record_id), by_id.get(p.partner_record_id or "")
        if p.match_class == "review" or a is None or b is None or a.card_id == b.card_id:
            continue
        found += 1
        for one, two in ((a, b), (b, a)):
            if one.also_on != two.card.number:
                new += one.also_on == ""
                one.also_on = two.card.number
                one.save(update_fields=["also_on"])
                log_event(one.card, "listed_on_two_cards", member=one, source=f"dedupe:{source}",
                          reason=f"also on card {two.card.number}")
    return Flagged(found, new)


def coverage(by: str = "card__governorate") -> list[dict]:
    """Members linked to the national card per governorate (or centre): the ministry's "X updated, Y %"."""
    rows = (Member.objects.exclude(status=MemberStatus.REMOVED).values(by)
            .annotate(members=Count("pk"), linked=Count("pk", filter=Q(link_state=LinkState.LINKED)),
                      not_found=Count("pk", filter=Q(link_state=LinkState.NOT_FOUND)),
                      conflict=Count("pk", filter=Q(link_state=LinkState.CONFLICT))).order_by(by))
    return [{"key": r[by], **{k: r[k] for k in ("members", "linked", "not_found", "conflict")},
             "share": round(100 * r["linked"] / r["members"], 1) if r["members"] else 0.0} for r in rows]
