"""Importing the ration data a ministry already has: centres, agents, and card files (one row per member).

CSV (UTF-8 or Windows-1256), XLSX or Parquet. Every value goes through the identity layer; a bad value is
reported with its file, row and field, and its row is kept when what is left identifies the member. A row is
keyed by its record number, so importing a file again creates nothing twice. A national ID already on another
card is flagged (the member is listed on both), never merged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from django.db import router, transaction
from django.utils import timezone

from sijill import identity
from sijill.common.bulk import db_now, select_in, upsert
from sijill.registry.importing import kinds
from sijill.registry.importing.words import header_key
from sijill.tabular import ROW, read_batches

from .history import log_event
from .models import Agent, Card, CardEvent, CardImport, Centre, ImportProblem, Member

# field -> the headers it may have (Arabic as the centres write them, English as the ministry's exports do)
COLUMNS = {
    "record_id": ("رقم السجل", "record_id", "member_id"),
    "card": ("رقم البطاقة", "رقم البطاقة التموينية", "card_no", "card_number"),
    "centre": ("رمز المركز", "المركز", "centre", "center"),
    "agent": ("رقم الوكيل", "الوكيل", "agent", "agent_no"),
    "given": ("الاسم", "given_name"),
    "father": ("اسم الاب", "اسم الأب", "father_name"),
    "grandfather": ("اسم الجد", "grandfather_name"),
    "surname": ("اللقب", "surname"),
    "mother": ("اسم الام", "اسم الأم", "mother_name"),
    "birth_date": ("تاريخ الميلاد", "birth_date"),
    "national_id": ("رقم البطاقة الوطنية", "الرقم الوطني", "national_id"),
    "governorate": ("المحافظة", "governorate"),
    "sex": ("الجنس", "sex"),
    "relation": ("صلة القرابة", "relation"),
}
CARD_COLUMNS = ("number", "centre", "agent", "governorate", "district", "status", "pin_hash")
MEMBER_COLUMNS = ("card", "record_id", "given", "father", "grandfather", "surname", "mother", "birth_date", "sex",
                  "relation", "national_id", "status", "link_state", "linked_national_id", "link_class", "link_note",
                  "also_on")
EVENT_COLUMNS = ("card", "member", "at", "kind", "reason", "source", "details")
REQUIRED = ("record_id", "card", "centre", "agent", "given")
READERS = {"given": kinds.name, "father": kinds.name, "grandfather": kinds.name, "surname": kinds.name,
           "mother": kinds.name, "birth_date": kinds.date, "national_id": kinds.KINDS["national_id"],
           "governorate": kinds.KINDS["governorate"], "sex": kinds.KINDS["sex"], "relation": kinds.relation,
           "record_id": kinds.code, "card": kinds.code, "centre": kinds.code, "agent": kinds.code}


class ImportError_(ValueError):
    """A file that cannot be imported at all (unreadable, or a required column missing)."""


@dataclass
class Problem:
    row: int
    field: str
    value: str
    reason: str


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    rejected: int = 0
    flagged_two_cards: int = 0
    problems: list[Problem] = field(default_factory=list)
    pk: int | None = None


def columns_of(header: list[str]) -> dict[str, str]:
    """field -> the file's column, by header (Arabic or English, spelling variants folded)."""
    keys = {header_key(h): h for h in header}
    found = {}
    for name, options in COLUMNS.items():
        for option in options:
            if header_key(option) in keys:
                found[name] = keys[header_key(option)]
                break
    return found


def import_network(centres: Path, agents: Path) -> tuple[int, int]:
    """Centres and agents (code, name, governorate, district / number, name, centre, area); re-run safely."""
    made = [0, 0]
    source = read_batches(centres)
    for batch in source.batches:
        for row in batch.to_pylist():
            gov = identity.governorate(row["governorate"])
            _, created = Centre.objects.update_or_create(code=row["code"], defaults={
                "name": row["name"], "governorate": gov, "district": row.get("district") or ""})
            made[0] += created
    centre_by_code = {c.code: c for c in Centre.objects.all()}
    for batch in read_batches(agents).batches:
        for row in batch.to_pylist():
            _, created = Agent.objects.update_or_create(number=row["number"], defaults={
                "name": row["name"], "centre": centre_by_code[row["centre"]], "area": row.get("area") or ""})
            made[1] += created
    return made[0], made[1]


def import_cards(path: Path, *, user=None, batch_rows: int = 20_000) -> ImportReport:
    """Import a card file; returns its report (also stored, with each problem, for the import page)."""
    path = Path(path)
    report = ImportReport(file=path.name)
    source = read_batches(path, batch_rows=batch_rows)
    columns = columns_of(source.header)
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise ImportError_(f"{path.name}: no column for {', '.join(missing)} "
                           f"(expected one of: {'; '.join(' / '.join(COLUMNS[f]) for f in missing)})")
    for row, reason in source.skipped:
        report.problems.append(Problem(row, "*", "", f"row skipped: {reason}"))
        report.rejected += 1
    centres = {c.code: c for c in Centre.objects.all()}
    agents = {a.number: a for a in Agent.objects.select_related("centre")}
    for batch in source.batches:
        rows = batch.to_pylist()
        with transaction.atomic():
            _import_rows(rows, columns, centres, agents, report)
    _store(report, path, user)
    return report


def _parse(raw: dict, columns: dict[str, str], report: ImportReport) -> dict | None:
    row_no = raw[ROW]
    values, bad = {}, False
    for name, column in columns.items():
        text = (raw.get(column) or "").strip()
        if not text:
            if name in REQUIRED:
                report.problems.append(Problem(row_no, column, "", "required value is empty"))
                bad = True
            continue
        try:
            values[name] = READERS[name](text)
        except kinds.Invalid as e:
            report.problems.append(Problem(row_no, column, text[:200], e.reason))
            if name in REQUIRED:
                bad = True
    return None if bad else values


@dataclass(slots=True)
class _Row:
    """A member read from a row, before it is written."""

    record_id: str
    given: str
    father: str
    grandfather: str
    surname: str
    mother: str
    birth_date: str
    sex: str
    relation: str
    national_id: str
    card_id: int | None = None


def _import_rows(rows: list[dict], columns: dict[str, str], centres: dict, agents: dict,
                 report: ImportReport) -> None:
    """One batch, written in bulk: new cards, new members, and each one's dated history entry."""
    ids = [(r.get(columns["record_id"]) or "").strip() for r in rows]
    existing = set(_in_chunks(Member.objects, "record_id", ids, "record_id"))
    numbers = {(r.get(columns["card"]) or "").strip() for r in rows}
    cards = {c.number: c for c in Card.objects.filter(number__in=numbers)}
    new_cards: dict[str, tuple] = {}  # number -> the card's row
    pending: list[tuple[_Row, str, int]] = []  # member, card number, row
    for raw in rows:
        report.rows += 1
        v = _parse(raw, columns, report)
        if v is None:
            report.rejected += 1
            continue
        if v["record_id"] in existing:
            report.unchanged += 1
            continue
        centre, agent = centres.get(v["centre"]), agents.get(v["agent"])
        if centre is None or agent is None:
            what, value = ("centre", v["centre"]) if centre is None else ("agent", v["agent"])
            report.problems.append(Problem(raw[ROW], columns[what], value, f"unknown {what}: import the network first"))
            report.rejected += 1
            continue
        if v["card"] not in cards and v["card"] not in new_cards:
            new_cards[v["card"]] = (v["card"], centre.pk, agent.pk, v.get("governorate") or centre.governorate,
                                    centre.district, "active", "")
        birth = v.get("birth_date")
        pending.append((_Row(v["record_id"], v["given"], v.get("father", ""), v.get("grandfather", ""),
                             v.get("surname", ""), v.get("mother", ""), str(birth) if birth else "", v.get("sex", ""),
                             v.get("relation", ""), v.get("national_id", "")), v["card"], raw[ROW]))
        existing.add(v["record_id"])
    _write(new_cards, pending, cards, report)


def _write(new_cards: dict[str, tuple], pending: list[tuple[_Row, str, int]], cards: dict[str, Card],
           report: ImportReport) -> None:
    """The batch's new cards, members and history entries, each table in one ``executemany``."""
    using = router.db_for_write(Member)
    now, source = db_now(using), f"import:{report.file}"[:64]
    upsert(Card, CARD_COLUMNS, list(new_cards.values()), unique=["number"], update=[], using=using)
    card_ids = {c.number: c.pk for c in cards.values()}
    card_ids.update(dict(select_in(Card, "number", list(new_cards), ["id"], using=using)))
    upsert(Member, MEMBER_COLUMNS, [(card_ids[n], m.record_id, m.given, m.father, m.grandfather, m.surname, m.mother,
                                     m.birth_date, m.sex, m.relation, m.national_id, "active", "unlinked", "", "",
                                     "", "") for m, n, _ in pending], unique=["record_id"], update=[], using=using)
    saved = dict(select_in(Member, "record_id", [m.record_id for m, _, _ in pending], ["id"], using=using))
    events = [(card_ids[n], None, now, "card_created", "imported", source, "{}") for n in new_cards]
    events += [(card_ids[n], saved[m.record_id], now, "member_added", f"row {row}", source, "{}")
               for m, n, row in pending]
    upsert(CardEvent, EVENT_COLUMNS, events, unique=["id"], update=[], using=using, adapt=False)
    report.created += len(pending)
    for m, n, _ in pending:
        m.card_id = card_ids[n]
    _flag_shared_ids([m for m, _, _ in pending], saved, report)


def _in_chunks(manager, field: str, values: list, *columns: str, size: int = 900):
    """values_list over ``field__in`` in chunks (SQLite caps the parameters of one query)."""
    for start in range(0, len(values), size):
        rows = manager.filter(**{f"{field}__in": values[start:start + size]}).values_list(*columns)
        yield from (r[0] if len(columns) == 1 else r for r in rows)


def _flag_shared_ids(members: list[_Row], saved: dict[str, int], report: ImportReport) -> None:
    """A new member whose national ID is already on another card: both are flagged (the person on two cards)."""
    with_id = [m for m in members if m.national_id]
    if not with_id:
        return
    others = Member.objects.filter(national_id__in={m.national_id for m in with_id}).select_related("card")
    by_id: dict[str, list[Member]] = {}
    for other in others:
        by_id.setdefault(other.national_id, []).append(other)
    for m in with_id:
        same = [o for o in by_id.get(m.national_id, []) if o.card_id != m.card_id and o.pk != saved[m.record_id]]
        if same:
            mine = next(o for o in by_id[m.national_id] if o.pk == saved[m.record_id])
            _flag_two_cards(mine, same[0])
            report.flagged_two_cards += 1


def _flag_two_cards(a: Member, b: Member) -> None:
    """One person on two cards: both are marked for the centres to resolve; nothing is merged."""
    for one, two in ((a, b), (b, a)):
        if one.also_on != two.card.number:
            one.also_on = two.card.number
            one.save(update_fields=["also_on"])
            log_event(one.card, "listed_on_two_cards", member=one, source="dedupe",
                      reason=f"also on card {two.card.number}")


def _store(report: ImportReport, path: Path, user) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    run = CardImport.objects.create(file_name=path.name, sha256=digest, at=timezone.now(),
                                    user=user if getattr(user, "pk", None) else None, rows=report.rows,
                                    created=report.created, unchanged=report.unchanged, rejected=report.rejected,
                                    flagged_two_cards=report.flagged_two_cards)
    ImportProblem.objects.bulk_create([ImportProblem(card_import=run, file_name=path.name, row=p.row,
                                                     field=p.field[:64], value=p.value[:200], reason=p.reason[:200])
                                       for p in report.problems], batch_size=2_000)
    report.pk = run.pk
