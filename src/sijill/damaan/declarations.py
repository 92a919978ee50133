"""Monthly wage declarations: by form or by a CSV/XLSX file (with a report naming each bad row and field), each
assessed under the rate table in force for its month. A correction supersedes; a recomputation under another
table version is explicit and shows the difference."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Q

from sijill import identity
from sijill.audit.models import Action
from sijill.audit.trail import record
from sijill.identity.text import to_ascii_digits
from sijill.tabular import ROW, FileFormatError, read_batches

from . import contributions as c
from .certificates import revoke_on_arrears
from .models import (
    Assessment,
    Declaration,
    DeclarationLine,
    Employment,
    Establishment,
    EstablishmentState,
    Insured,
    RateTable,
)
from .registration import NotAllowed, represents
from .tables import table_for

# The columns of an uploaded declaration (Arabic headers as an employer's accountant writes them; English too).
COLUMNS = {
    "national_id": ("رقم البطاقة الوطنية", "national_id"),
    "wage": ("الأجر", "wage"),
    "allowances": ("المخصصات", "allowances"),
}


@dataclass
class RowProblem:
    row: int
    field: str
    message: str


@dataclass
class Outcome:
    declaration: Declaration | None
    assessment: Assessment | None
    lines: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def amount(text) -> int:
    """A whole number of dinars, as typed: Arabic-Indic digits and thousands separators accepted."""
    clean = to_ascii_digits(str(text if text is not None else "")).replace(",", "").replace("٬", "").strip()
    clean = clean.removesuffix(".0").removesuffix(".00")
    if not clean.isdigit():
        raise ValueError(f"not a whole number of dinars: {text!r}")
    return int(clean)


def _active(est: Establishment, month: dt.date):
    """The spells of ``est`` active in some day of ``month``."""
    return Employment.objects.filter(Q(end__isnull=True) | Q(end__gte=month), establishment=est,
                                     start__lt=c.add_months(month, 1))


def workers_of(est: Establishment, month: dt.date) -> list[Employment]:
    """The spells of ``est`` active in ``month``: the rows a declaration form starts from."""
    return list(_active(est, month).select_related("insured"))


def _insert_lines(declaration: Declaration, lines: list[tuple[int, int, int]]) -> None:
    """Plain parameterised INSERTs: a 100,000-row declaration would spend most of its time building model objects."""
    q = connection.ops.quote_name
    sql = (f"INSERT INTO {q(DeclarationLine._meta.db_table)} ({q('declaration_id')}, {q('insured_id')}, "
           f"{q('wage')}, {q('allowances')}) VALUES (%s, %s, %s, %s)")
    with connection.cursor() as cursor:
        for i in range(0, len(lines), 20_000):
            cursor.executemany(sql, [(declaration.pk, p, w, a) for p, w, a in lines[i:i + 20_000]])


def _check_may_declare(user, est: Establishment, month: dt.date) -> None:
    if not represents(user, est):
        raise NotAllowed("not a representative of this establishment")
    if est.state != EstablishmentState.APPROVED:
        raise NotAllowed("the establishment is not approved yet")
    if month > c.month_start(dt.date.today()):
        raise ValueError("a month in the future cannot be declared")


def assess(declaration: Declaration, table: RateTable, *, user=None, reason: str = "") -> Assessment:
    """Compute what ``declaration`` makes due under ``table`` and make it the current assessment."""
    rates = table.rates()
    base = worker = employer = n = 0
    sector = declaration.establishment.sector
    for wage, allowances in declaration.lines.values_list("wage", "allowances").iterator(chunk_size=10_000):
        figures = c.line(wage, allowances, sector, rates)
        base, worker, employer, n = base + figures.base, worker + figures.worker, employer + figures.employer, n + 1
    declaration.assessments.filter(current=True).update(current=False)
    return Assessment.objects.create(declaration=declaration, table=table, base=base, worker=worker,
                                     employer=employer, workers=n, due_on=c.due_date(declaration.month, rates),
                                     reason=reason, created_by=user)


# The arithmetic of contributions.line for every line of a month's unassessed declarations, as one grouped query
# (rounding half up is (x * bp + 5000) / 10000 in integers). tests/web/test_damaan.py checks it against line().
_ASSESS_MONTH = """
SELECT x.declaration_id, COUNT(*), SUM(x.base), SUM((x.base * %s + 5000) / 10000),
       SUM((x.base * x.employer_bp + 5000) / 10000)
FROM (SELECT l.declaration_id AS declaration_id,
             CASE WHEN l.wage + l.allowances < %s THEN CAST(%s AS BIGINT)
                  WHEN l.wage + l.allowances > %s THEN CAST(%s AS BIGINT)
                  ELSE CAST(l.wage + l.allowances AS BIGINT) END AS base,
             CASE WHEN e.sector = 'oil' THEN %s ELSE %s END AS employer_bp
      FROM {line} l JOIN {declaration} d ON d.id = l.declaration_id JOIN {establishment} e ON e.id = d.establishment_id
      WHERE d.month = %s AND d.{current}
        AND NOT EXISTS (SELECT 1 FROM {assessment} a WHERE a.declaration_id = d.id AND a.{current})) x
GROUP BY x.declaration_id
"""


def assess_month(month: dt.date, table: RateTable) -> tuple[int, int]:
    """Assess every current declaration of ``month`` that has no assessment yet (declarations loaded in bulk), under
    ``table``, in one query; returns (declarations, lines)."""
    r = table.rates()
    q = connection.ops.quote_name
    sql = _ASSESS_MONTH.format(line=q(DeclarationLine._meta.db_table), declaration=q(Declaration._meta.db_table),
                               establishment=q(Establishment._meta.db_table),
                               assessment=q(Assessment._meta.db_table), current=q("current"))
    params = [r.worker_bp, r.minimum_wage, r.minimum_wage, r.ceiling, r.ceiling, r.employer_oil_bp, r.employer_bp,
              connection.ops.adapt_datefield_value(month)]
    due = c.due_date(month, r)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        Assessment.objects.bulk_create(
            [Assessment(declaration_id=d, table=table, workers=n, base=base, worker=worker, employer=employer,
                        due_on=due, reason="monthly run") for d, n, base, worker, employer in rows],
            batch_size=5_000)
    return len(rows), sum(row[1] for row in rows)


def _save(user, est: Establishment, month: dt.date, lines: list[tuple[int, int, int]], source: str,
          file_name: str = "", request=None) -> tuple[Declaration, Assessment]:
    with transaction.atomic():
        before = (Declaration.objects.select_for_update().filter(establishment=est, month=month, current=True)
                  .first())
        if before is not None:
            before.current = False
            before.save(update_fields=["current"])
        declaration = Declaration.objects.create(establishment=est, month=month, supersedes=before,
                                                 revision=before.revision + 1 if before else 1, source=source,
                                                 file_name=file_name, submitted_by=user)
        _insert_lines(declaration, lines)
        assessment = assess(declaration, table_for(month), user=user)
    record(Action.IMPORT if source == "upload" else "damaan_declaration", request=request, user=user,
           target=est, month=month.strftime("%Y-%m"), revision=declaration.revision, lines=len(lines),
           table=assessment.table.version, due=assessment.total)
    revoke_on_arrears(est)  # the certificates read the ledger this declaration just changed
    return declaration, assessment


def declare(user, est: Establishment, month: dt.date, lines: list[tuple[Insured, int, int]],
            request=None) -> Outcome:
    """A declaration typed in the form: (worker, wage, allowances) for each worker of the month."""
    month = c.month_start(month)
    _check_may_declare(user, est, month)
    allowed = {s.insured_id for s in workers_of(est, month)}
    problems = [RowProblem(n, "national_id", f"{p.national_id} has no employment spell here in {month:%Y-%m}")
                for n, (p, _, _) in enumerate(lines, 1) if p.pk not in allowed]
    if problems or not lines:
        return Outcome(None, None, 0, problems or [RowProblem(0, "", "the declaration has no worker")])
    declaration, assessment = _save(user, est, month, [(p.pk, w, a) for p, w, a in lines], "form", request=request)
    return Outcome(declaration, assessment, len(lines))


def upload(user, est: Establishment, month: dt.date, path: Path, request=None, name: str = "") -> Outcome:
    """A declaration from a CSV or XLSX file. Every bad row is reported (row number and field); when any row is
    bad nothing is saved, so that a declaration is never short of a worker the accountant meant to declare.
    Uploading the same month again supersedes the earlier declaration (a correction), never duplicates it."""
    month = c.month_start(month)
    _check_may_declare(user, est, month)
    try:
        source = read_batches(Path(path))
    except FileFormatError as e:
        return Outcome(None, None, 0, [RowProblem(0, "", str(e))])
    columns = {key: next((h for h in source.header if h.strip() in names), None) for key, names in COLUMNS.items()}
    missing = [COLUMNS[k][0] for k in ("national_id", "wage") if columns[k] is None]
    if missing:
        return Outcome(None, None, 0, [RowProblem(1, m, "missing column") for m in missing])
    active = dict(_active(est, month).exclude(insured__national_id="")
                  .values_list("insured__national_id", "insured_id").iterator(chunk_size=20_000))
    problems: list[RowProblem] = [RowProblem(n, "", why) for n, why in source.skipped]
    lines, seen = [], {}
    for batch in source.batches:
        data = batch.to_pydict()
        allow = data[columns["allowances"]] if columns["allowances"] else [None] * batch.num_rows
        for row, nid_raw, wage_raw, allow_raw in zip(data[ROW], data[columns["national_id"]],
                                                     data[columns["wage"]], allow, strict=True):
            try:
                nid = identity.national_id(nid_raw)
            except identity.IdentityError as e:
                problems.append(RowProblem(row, COLUMNS["national_id"][0], str(e)))
                continue
            if nid not in active:
                problems.append(RowProblem(row, COLUMNS["national_id"][0],
                                           f"{nid} has no employment spell here in {month:%Y-%m}"))
                continue
            if nid in seen:
                problems.append(RowProblem(row, COLUMNS["national_id"][0], f"{nid} is already on row {seen[nid]}"))
                continue
            try:
                wage = amount(wage_raw)
            except ValueError as e:
                problems.append(RowProblem(row, COLUMNS["wage"][0], str(e)))
                continue
            try:
                extra = amount(allow_raw) if allow_raw not in (None, "") else 0
            except ValueError as e:
                problems.append(RowProblem(row, COLUMNS["allowances"][0], str(e)))
                continue
            seen[nid] = row
            lines.append((active[nid], wage, extra))
    if problems or not lines:
        return Outcome(None, None, len(lines), problems or [RowProblem(0, "", "the file has no rows")])
    declaration, assessment = _save(user, est, month, lines, "upload", file_name=name or Path(path).name,
                                    request=request)
    return Outcome(declaration, assessment, len(lines))


@dataclass(frozen=True)
class Difference:
    before: Assessment
    table: RateTable
    base: int
    worker: int
    employer: int

    @property
    def total(self) -> int:
        return self.worker + self.employer

    @property
    def change(self) -> int:
        return self.total - self.before.total


def preview_recompute(declaration: Declaration, table: RateTable) -> Difference:
    """What the month would be under ``table``, next to what it is: nothing is written."""
    rates, sector = table.rates(), declaration.establishment.sector
    figures = [c.line(w, a, sector, rates) for w, a in declaration.lines.values_list("wage", "allowances")]
    current = declaration.assessments.get(current=True)
    return Difference(current, table, sum(f.base for f in figures), sum(f.worker for f in figures),
                      sum(f.employer for f in figures))


def recompute(officer, declaration: Declaration, table: RateTable, reason: str, request=None) -> Assessment:
    """Explicitly assess a past month again under another table version; the difference goes to the trail."""
    if not officer.can("damaan_tables"):
        raise NotAllowed("role lacks damaan_tables")
    if not reason.strip():
        raise ValueError("a recomputation needs its reason")
    diff = preview_recompute(declaration, table)
    with transaction.atomic():
        assessment = assess(declaration, table, user=officer, reason=reason.strip())
    record(Action.DECISION, request=request, user=officer, target=declaration.establishment,
           what="recompute", month=declaration.month.strftime("%Y-%m"), before=diff.before.table.version,
           after=table.version, change=diff.change, reason=reason.strip())
    revoke_on_arrears(declaration.establishment)
    return assessment
