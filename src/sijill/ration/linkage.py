"""The ration registry's side of its blind cycles, in one place: what it encodes, how it runs a cycle at the hub,
and how opened hits are stored against its members. (Meant to become the ration registry's declaration once
the platform's registry declarations land.)

- National-ID linkage: the card members against Interior's national-card register (``national_cards``).
- Dead and emigrated: the card members against Interior's deaths and travel (``deaths``, ``travel``).

The Ministry of Trade holds the cycle's linkage secret and its own clear members; Interior encodes its files
with its own signing key and Trade's cycle secret, and ships packages. Neither receives the other's file: the hub
(``sijill.linkage.match``) takes no secret, and Trade opens only the sealed payloads of the records that matched.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from sijill import pprl
from sijill.linkage import match

from .history import log_event
from .models import LinkRun, LinkRunKind, LinkState, Member, MemberStatus

SCHEMAS = Path(__file__).parent / "schemas"
NATIONAL = "national_cards"  # Interior's holder name for the national-card register
PARTNERS = {LinkRunKind.NATIONAL_ID: (NATIONAL,), LinkRunKind.BLOCKING: ("deaths", "travel")}
NATIONAL_ID_FIELD = "payload.الرقم الوطني"
_BATCH = 20_000


def data_dir() -> Path:
    return Path(settings.DATA_DIR) / "ration"


def keys_dir() -> Path:
    """The ration registry's key folder: the cycle's linkage secret and its payload key pair."""
    return data_dir() / "keys" / "registry"


def trusted_dir() -> Path:
    """Public signing keys of the holders whose packages the ration registry accepts (Interior's)."""
    return data_dir() / "trusted"


def registry_schema() -> pprl.LinkageSchema:
    return pprl.load_schema(SCHEMAS / "registry.yaml")


def partner_schema(holder: str) -> pprl.LinkageSchema:
    """The schema a partner encodes with (agreed with it; Interior's national cards, or the shipped examples)."""
    own = SCHEMAS / f"{holder}.yaml"
    return pprl.load_schema(own if own.exists() else pprl.example_schemas()[holder])


def open_cycle() -> str:
    """Start the ration registry's next cycle: a new linkage secret (the previous one is destroyed)."""
    folder = keys_dir()
    if (folder / "cycle.json").exists():
        pprl.rotate_keys(folder)
    else:
        folder.parent.mkdir(parents=True, exist_ok=True)
        pprl.init_keys(folder, "registry")
    return pprl.key_info(folder).cycle


def register_holder(public_file: Path) -> str:
    """Accept a partner's packages (its ``holder.pub``, received over a trusted channel); returns its name."""
    trusted_dir().mkdir(parents=True, exist_ok=True)
    holder = pprl.trust_key(keys_dir(), public_file)
    shutil.copyfile(public_file, trusted_dir() / f"{holder}.pub")
    return holder


def member_batches(batch_rows: int = _BATCH) -> Iterator[dict[str, list]]:
    """The rows the ration registry encodes: every member still on a card, as the registry schema names them."""
    fields = ("record_id", "given", "father", "grandfather", "surname", "mother", "birth_date", "national_id",
              "card__governorate", "sex", "card__number")
    names = ("record_id", "given_name", "father_name", "grandfather_name", "surname", "mother_name", "birth_date",
             "national_id", "governorate", "sex", "card_no")
    rows = Member.objects.exclude(status=MemberStatus.REMOVED).order_by("pk").values_list(*fields)
    batch: dict[str, list] = {n: [] for n in names}
    for row in rows.iterator(chunk_size=batch_rows):
        for name, value in zip(names, row, strict=True):
            batch[name].append(value or None)
        if len(batch["record_id"]) >= batch_rows:
            yield batch
            batch = {n: [] for n in names}
    if batch["record_id"]:
        yield batch


def run_cycle(kind: str, partner_packages: list[Path], *, user=None, on=None, workdir: Path | None = None) -> LinkRun:
    """Encode the members, match them at the hub against the partners' packages, open the hits with the
    registry's keys and store them (links, or block proposals). Returns the finished run with its figures."""
    started = time.monotonic()
    cycle = pprl.key_info(keys_dir()).cycle
    run = LinkRun.objects.create(kind=kind, cycle=cycle, started_at=timezone.now(),
                                 started_by=user if getattr(user, "pk", None) else None)
    work = workdir or data_dir() / "runs" / f"run-{run.pk}"
    work.mkdir(parents=True, exist_ok=True)
    encoded = pprl.encode(member_batches(), registry_schema(), pprl.HolderKeys.load(keys_dir()),
                          work / "registry.pkg", agency="registry", overwrite=True)
    trust = pprl.TrustStore.from_dir(_hub_keys(work))
    hub = match(encoded.package, list(partner_packages), work / "hits.parquet", trust, keep=True)
    keys, maps = pprl.RegistryKeys.load(keys_dir()), [encoded.map]
    opened = pprl.open_hits(work / "hits.parquet", keys, maps, trust)
    log = {"members_encoded": encoded.encoded, "hits": len(opened.rows), "hub": hub.as_dict()}
    if kind == LinkRunKind.NATIONAL_ID:
        match(encoded.package, [], work / "duplicates.parquet", trust, dedupe=True, keep=True)
        pairs = pprl.open_hits(work / "duplicates.parquet", keys, maps, trust)
        log.update(store_links(run, opened.rows, pairs.rows))
    else:
        from .blocking import propose_from_hits

        log.update(propose_from_hits(run, opened.rows, on=on))
    log["seconds"] = round(time.monotonic() - started, 1)
    run.log, run.finished_at = log, timezone.now()
    run.save(update_fields=["log", "finished_at"])
    return run


def _hub_keys(work: Path) -> Path:
    """The hub's folder of public keys: the registry's own and the trusted partners' (no secret)."""
    hub = work / "hub"
    hub.mkdir(exist_ok=True)
    shutil.copyfile(keys_dir() / "holder.pub", hub / "registry.pub")
    for pub in trusted_dir().glob("*.pub"):
        shutil.copyfile(pub, hub / pub.name)
    return hub


def store_links(run: LinkRun, hits: list[dict], pairs: list[dict]) -> dict:
    """Each member ends linked, not found, or in conflict (one person with two numbers; two people for one
    number; an uncertain match for the centre to check). Persons found on two cards are flagged."""
    found = {h["registry_record_id"]: h for h in hits}
    members = list(Member.objects.exclude(status=MemberStatus.REMOVED).select_related("card"))
    with transaction.atomic():
        for m in members:
            hit = found.get(m.record_id)
            m.link_class = hit["match_class"] if hit else ""
            number = str(hit.get(NATIONAL_ID_FIELD) or "") if hit else ""
            if hit is None:
                m.link_state, m.linked_national_id, m.link_note = LinkState.NOT_FOUND, "", ""
            elif hit["match_class"] == "review":
                m.link_state, m.linked_national_id = LinkState.CONFLICT, number
                m.link_note = "uncertain match: check the member's documents at the centre"
            elif m.national_id and m.national_id != number:
                m.link_state, m.linked_national_id = LinkState.CONFLICT, number
                m.link_note = "two numbers: the card's national ID differs from Interior's"
            else:
                m.link_state, m.linked_national_id, m.link_note = LinkState.LINKED, number, ""
        _shared_numbers(members)
        Member.objects.bulk_update(members, ["link_state", "linked_national_id", "link_class", "link_note"],
                                   batch_size=2_000)
        flagged = _flag_duplicates(pairs)
    counts = {s: 0 for s in LinkState.values}
    for m in members:
        counts[m.link_state] += 1
    return {"linked": counts[LinkState.LINKED], "not_found": counts[LinkState.NOT_FOUND],
            "conflict": counts[LinkState.CONFLICT], "two_cards": flagged}


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


def _flag_duplicates(pairs: list[dict]) -> int:
    """The hub's dedupe: a person on two cards is flagged on both, never merged."""
    flagged = 0
    by_id = {m.record_id: m for m in Member.objects.filter(
        record_id__in={p["registry_record_id"] for p in pairs} | {p["partner_record_id"] for p in pairs})
        .select_related("card")}
    for p in pairs:
        if p["match_class"] == "review":
            continue
        a, b = by_id.get(p["registry_record_id"]), by_id.get(p["partner_record_id"])
        if a is None or b is None or a.card_id == b.card_id:
            continue
        for one, two in ((a, b), (b, a)):
            if one.also_on != two.card.number:
                one.also_on = two.card.number
                one.save(update_fields=["also_on"])
                log_event(one.card, "listed_on_two_cards", member=one, source="dedupe",
                          reason=f"also on card {two.card.number}")
        flagged += 1
    return flagged


def coverage(by: str = "card__governorate") -> list[dict]:
    """Members linked to the national card per governorate (or centre): the ministry's "X updated, Y %"."""
    rows = (Member.objects.exclude(status=MemberStatus.REMOVED).values(by)
            .annotate(members=Count("pk"), linked=Count("pk", filter=_q(LinkState.LINKED)),
                      not_found=Count("pk", filter=_q(LinkState.NOT_FOUND)),
                      conflict=Count("pk", filter=_q(LinkState.CONFLICT))).order_by(by))
    return [{"key": r[by], **{k: r[k] for k in ("members", "linked", "not_found", "conflict")},
             "share": round(100 * r["linked"] / r["members"], 1) if r["members"] else 0.0} for r in rows]


def _q(state: str) -> Q:
    return Q(link_state=state)
