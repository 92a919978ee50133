"""Each partner's extract, with the payload that agency really holds, written through its own mess.

An ``Extract`` keeps, next to the table that goes to the file, the person behind each row and the facts
(dates, amounts) that the findings are computed from, so truth and data cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import catalog
from .config import AgencySpec
from .holdings import Holdings
from .households import RELATIONS_AR, relation_to_head
from .mess import Renderer
from .population import REMARRIAGE_WINDOW_YEARS, Population
from .registry import Registry
from .timeline import NEVER, year_of, years

DEATH_WINDOW_YEARS = 5

# Identity columns: role -> (Arabic header, English header).
HEADERS = {
    "record_id": ("رقم السجل", "record_id"),
    "given": ("الاسم", "given_name"),
    "father": ("اسم الاب", "father_name"),
    "grandfather": ("اسم الجد", "grandfather_name"),
    "surname": ("اللقب", "surname"),
    "full_name": ("الاسم الرباعي", "full_name"),
    "mother": ("اسم الام", "mother_name"),
    "birth_date": ("تاريخ الميلاد", "birth_date"),
    "national_id": ("رقم البطاقة الوطنية", "national_id"),
    "governorate": ("المحافظة", "governorate"),
    "sex": ("الجنس", "sex"),
}
PREFIXES = {
    "registry": "REG",
    "courts": "SJC",
    "deaths": "MOI-D",
    "travel": "MOI-T",
    "loans": "BNK",
    "vehicles": "TRF",
    "pensions": "NRA",
    "payroll": "MOF",
    "licences": "LIC",
    "ration": "MOT",
    "insured": "SSF",
    "ration_cards": "MOT-M",
    "national_cards": "MOI-N",
}


@dataclass
class Extract:
    agency: str
    spec: AgencySpec
    table: pa.Table
    roles: dict[str, str]  # column -> role (an identity role, or payload:<field>)
    pids: np.ndarray  # the person behind each row (the truth)
    facts: dict[str, np.ndarray] = field(default_factory=dict)  # clean values the findings use

    @property
    def record_ids(self) -> pa.Array:
        return self.table.column(0).combine_chunks()


@dataclass
class Payload:
    key: str
    ar: str
    en: str
    values: np.ndarray | pa.Array
    is_date: bool = False


@dataclass
class Context:
    pop: Population
    holdings: Holdings
    registry: Registry
    renderer: Renderer
    today: int


def record_ids(prefix: str, n: int) -> pa.Array:
    width = max(7, len(str(n)))
    numbers = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), numbers, "-")


def render(
    ctx: Context,
    spec: AgencySpec,
    rng: np.random.Generator,
    pids: np.ndarray,
    payload: list[Payload],
    title: str = "living",
    facts: dict | None = None,
    shuffle: bool = True,
) -> Extract:
    """Rows for ``pids`` (shuffled, so that file order tells nothing), identity columns first."""
    order = rng.permutation(len(pids)) if shuffle else np.arange(len(pids))
    pids = pids[order]
    r, mess, en = ctx.renderer, spec.mess, spec.headers == "en"
    digits = rng.random(len(pids)) < mess.arabic_digits
    cols: dict[str, tuple[str, pa.Array]] = {"record_id": ("record_id", record_ids(PREFIXES[spec.name], len(pids)))}
    for role, values in r.names(pids, mess, rng, title=title, layout=spec.layout).items():
        cols[role] = (role, values)
    cols["birth_date"] = ("birth_date", r.dates(ctx.pop.birth[pids], spec, rng, digits))
    cols["national_id"] = ("national_id", r.national_ids(pids, mess, rng, digits))
    cols["governorate"] = ("governorate", r.governorates(pids, mess, rng, latin=en))
    cols["sex"] = ("sex", r.sexes(pids, english=en))
    names, arrays, roles = [], [], {}
    for role, (_, values) in cols.items():
        header = HEADERS[role][1 if en else 0]
        names.append(header)
        arrays.append(values)
        roles[header] = role
    for item in payload:
        values = item.values[order] if isinstance(item.values, np.ndarray) else item.values.take(pa.array(order))
        if item.is_date:
            values = r.dates(np.asarray(values), spec, rng, digits)
        header = item.en if en else item.ar
        names.append(header)
        arrays.append(values if isinstance(values, pa.Array) else pa.array(values))
        roles[header] = f"payload:{item.key}"
    ordered_facts = {k: v[order] for k, v in (facts or {}).items()}
    return Extract(spec.name, spec, pa.table(arrays, names=names), roles, pids, ordered_facts)


def _keep(rng: np.random.Generator, n: int, spec: AgencySpec) -> np.ndarray:
    return rng.random(n) < spec.coverage


def _choice_names(table: list[dict[str, str]], column: str, index: np.ndarray) -> pa.Array:
    return pa.array([r[column] for r in table]).take(pa.array(index))


def _shares(table: list[dict[str, str]]) -> np.ndarray:
    w = np.array([float(r["share"]) for r in table])
    return w / w.sum()


# -- one builder per agency -----------------------------------------------------------------------------


def courts(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    """Marriage contracts of the last years, one row per party (husband, wife), and remarriages."""
    p, c, today = ctx.pop, ctx.pop.couples, ctx.today
    since = today - years(REMARRIAGE_WINDOW_YEARS)
    recent = np.flatnonzero((c["married"] >= since) & (c["married"] <= today))
    again = np.flatnonzero(p.remarried < NEVER)
    husband = np.concatenate([c["husband"][recent], p.remarried_to[again]])
    wife = np.concatenate([c["wife"][recent], again])
    date = np.concatenate([c["married"][recent], p.remarried[again]])
    gov = np.concatenate([c["gov"][recent], p.gov[again]])
    keep = _keep(rng, len(husband), spec)
    husband, wife, date, gov = husband[keep], wife[keep], date[keep], gov[keep]
    k = len(husband)
    court_rows = catalog.table("courts.csv")
    govs = [g["name_en"] for g in catalog.governorates()]
    by_gov = [np.flatnonzero(np.array([r["governorate"] == g for r in court_rows])) for g in govs]
    counts = np.array([len(x) for x in by_gov])
    flat = np.concatenate(by_gov)
    court = flat[(np.cumsum(counts) - counts)[gov] + (rng.random(k) * counts[gov]).astype(int)]
    contract_no = pc.binary_join_element_wise(
        pc.cast(pa.array(year_of(date)), pa.string()), pc.cast(pa.array(rng.permutation(k) + 1), pa.string()), "/"
    )
    pids = np.concatenate([husband, wife])
    role = np.r_[np.zeros(k, np.int8), np.ones(k, np.int8)]
    both = np.r_[np.arange(k), np.arange(k)]
    payload = [
        Payload("contract_no", "رقم العقد", "contract_no", contract_no.take(pa.array(both))),
        Payload("party", "صفة الطرف", "party", pa.array(["الزوج", "الزوجة"]).take(pa.array(role))),
        Payload("contract_date", "تاريخ العقد", "contract_date", date[both], is_date=True),
        Payload("court", "المحكمة", "court", _choice_names(court_rows, "court", court[both])),
    ]
    return render(ctx, spec, rng, pids, payload, facts={"date": date[both], "role": role})


def deaths(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    p, today = ctx.pop, ctx.today
    pids = np.flatnonzero((p.death >= today - years(DEATH_WINDOW_YEARS)) & (p.death < NEVER))
    pids = pids[_keep(rng, len(pids), spec)]
    certificate = pc.cast(pa.array(rng.permutation(len(pids)) + 1_000_001), pa.string())
    payload = [
        Payload("death_date", "تاريخ الوفاة", "death_date", p.death[pids], is_date=True),
        Payload("certificate_no", "رقم شهادة الوفاة", "certificate_no", certificate),
    ]
    return render(ctx, spec, rng, pids, payload, title="deceased", facts={"date": p.death[pids]})


def travel(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    t = ctx.holdings.travel
    keep = _keep(rng, len(t["pid"]), spec)
    pids, exit_day, back = t["pid"][keep], t["exit"][keep], t["back"][keep]
    points = catalog.table("border_points.csv")
    point = rng.choice(len(points), len(pids), p=_shares(points))
    payload = [
        Payload("exit_date", "تاريخ المغادرة", "exit_date", exit_day, is_date=True),
        Payload("return_date", "تاريخ العودة", "return_date", back, is_date=True),
        Payload("border_point", "المنفذ", "border_point", _choice_names(points, "name_ar", point)),
    ]
    return render(ctx, spec, rng, pids, payload, facts={"exit": exit_day, "back": back})


def loans(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    loan = ctx.holdings.loans
    keep = _keep(rng, len(loan["pid"]), spec)
    pids, amount, date, bank = loan["pid"][keep], loan["amount"][keep], loan["date"][keep], loan["bank"][keep]
    banks = catalog.table("banks.csv")
    column = "name_en" if spec.headers == "en" else "name_ar"
    number = pc.cast(pa.array(rng.permutation(len(pids)) + 40_000_001), pa.string())
    payload = [
        Payload("bank", "المصرف", "bank", _choice_names(banks, column, bank)),
        Payload("loan_no", "رقم القرض", "loan_no", number),
        Payload("amount_iqd", "مبلغ القرض", "loan_amount_iqd", amount),
        Payload("loan_date", "تاريخ القرض", "loan_date", date, is_date=True),
    ]
    return render(ctx, spec, rng, pids, payload, facts={"date": date, "amount": amount})


def vehicles(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    v = ctx.holdings.vehicles
    keep = _keep(rng, len(v["pid"]), spec)
    pids, model, year, registered = v["pid"][keep], v["model"][keep], v["model_year"][keep], v["registered"][keep]
    govs = pa.array([g["name"] for g in catalog.governorates()])
    letters = pa.array(list("أبجدهوزحطيكلمن"))
    plate = pc.binary_join_element_wise(
        govs.take(pa.array(ctx.pop.gov[pids].astype(np.int32))),
        letters.take(pa.array(rng.integers(0, len(letters), len(pids)))),
        pc.cast(pa.array(rng.integers(10_000, 99_999, len(pids))), pa.string()),
        " ",
    )
    models = catalog.table("vehicles.csv")
    payload = [
        Payload("plate", "رقم اللوحة", "plate", plate),
        Payload("model", "نوع المركبة", "model", _choice_names(models, "make_model", model)),
        Payload("model_year", "سنة الصنع", "model_year", year),
        Payload("registered", "تاريخ التسجيل", "registered", registered, is_date=True),
    ]
    return render(ctx, spec, rng, pids, payload, facts={"date": registered, "model_year": year})


def pensions(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    pen = ctx.holdings.pension
    pids = np.flatnonzero(pen["amount"] > 0)
    pids = pids[_keep(rng, len(pids), spec)]
    kind = pa.array(["راتب تقاعدي", "راتب ورثة"]).take(pa.array(pen["survivor"][pids].astype(np.int8)))
    number = pc.cast(pa.array(rng.permutation(len(pids)) + 700_001), pa.string())
    payload = [
        Payload("pension_no", "الرقم التقاعدي", "pension_no", number),
        Payload("kind", "نوع الراتب", "kind", kind),
        Payload("monthly_iqd", "الراتب الشهري", "monthly_pension_iqd", pen["amount"][pids]),
        Payload("start", "تاريخ الاستحقاق", "start_date", pen["start"][pids], is_date=True),
    ]
    return render(ctx, spec, rng, pids, payload, facts={"date": pen["start"][pids], "amount": pen["amount"][pids]})


def payroll(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    job = ctx.holdings.job
    pids = np.flatnonzero(job["salary"] > 0)
    pids = pids[_keep(rng, len(pids), spec)]
    ministries = catalog.table("ministries.csv")
    number = pc.cast(pa.array(rng.permutation(len(pids)) + 1_000_001), pa.string())
    payload = [
        Payload("ministry", "الوزارة", "ministry", _choice_names(ministries, "name_ar", job["ministry"][pids])),
        Payload("employee_no", "الرقم الوظيفي", "employee_no", number),
        Payload("salary_iqd", "الراتب الاسمي", "salary_iqd", job["salary"][pids]),
        Payload("hired", "تاريخ التعيين", "hired", job["start"][pids], is_date=True),
    ]
    return render(ctx, spec, rng, pids, payload, facts={"date": job["start"][pids], "amount": job["salary"][pids]})


def insured(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    ins = ctx.holdings.insured
    pids = np.flatnonzero(ins["wage"] > 0)
    pids = pids[_keep(rng, len(pids), spec)]
    employers = catalog.table("employers.csv")
    number = pc.cast(pa.array(rng.permutation(len(pids)) + 5_000_001), pa.string())
    employer = _choice_names(employers, "name_ar", ins["employer"][pids])
    payload = [
        Payload("employer", "صاحب العمل", "employer", employer),
        Payload("insurance_no", "رقم الضمان", "insurance_no", number),
        Payload("wage_iqd", "الأجر الشهري", "wage_iqd", ins["wage"][pids]),
        Payload("insured_since", "تاريخ الشمول", "insured_since", ins["start"][pids], is_date=True),
    ]
    return render(ctx, spec, rng, pids, payload, facts={"date": ins["start"][pids], "amount": ins["wage"][pids]})


def licences(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    lic = ctx.holdings.licences
    keep = _keep(rng, len(lic["pid"]), spec)
    pids, kind, issued = lic["pid"][keep], lic["type"][keep], lic["issued"][keep]
    kinds = catalog.table("licence_types.csv")
    number = pc.cast(pa.array(rng.permutation(len(pids)) + 10_001), pa.string())
    payload = [
        Payload("licence_type", "نوع الإجازة", "licence_type", _choice_names(kinds, "type", kind)),
        Payload("issuer", "الجهة المانحة", "issuer", _choice_names(kinds, "issuer", kind)),
        Payload("licence_no", "رقم الإجازة", "licence_no", number),
        Payload("issued", "تاريخ الإصدار", "issued", issued, is_date=True),
    ]
    return render(ctx, spec, rng, pids, payload, facts={"date": issued})


def ration(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    """Ration cards of today's households: one row per member, with the card number and family size."""
    pop, hs = ctx.pop, ctx.registry.households
    head = hs.head_at(pop, np.full(hs.count, ctx.today, dtype=np.int32))
    has_card = (head >= 0) & _keep(rng, hs.count, spec)
    m = hs.order
    h = hs.of_person[m]
    alive = (pop.death[m] == NEVER) & has_card[h]
    m, h = m[alive], h[alive]
    size = np.bincount(h, minlength=hs.count)
    card = np.zeros(hs.count, dtype=np.int64)
    holders = np.flatnonzero(has_card)
    card[holders] = 2_000_001 + rng.permutation(len(holders))
    relation = relation_to_head(pop, m, head[h])
    payload = [
        Payload("card_no", "رقم البطاقة التموينية", "card_no", pc.cast(pa.array(card[h]), pa.string())),
        Payload("relation", "صلة القرابة", "relation", pa.array(RELATIONS_AR).take(pa.array(relation))),
        Payload("members", "عدد الأفراد", "members", size[h]),
        Payload("agent_no", "رقم الوكيل", "agent_no", 100 + (card[h] % 4000)),
    ]
    return render(ctx, spec, rng, m, payload, facts={"household": h})


def registry_members(ctx: Context, spec: AgencySpec, rng: np.random.Generator) -> Extract:
    """The registry's own member list (the ministry's data, with its own, smaller mess)."""
    reg = ctx.registry
    mem = reg.members
    hh_ids = record_ids("HH", len(reg.hh["hh"]))
    relation = pa.array(RELATIONS_AR).take(pa.array(mem["relation"]))
    disabled = pa.array(["نعم", "لا"]).take(pa.array(np.where(ctx.pop.disabled[mem["pid"]], 0, 1)))
    payload = [
        Payload("household_id", "رقم الأسرة", "household_id", hh_ids.take(pa.array(mem["row"]))),
        Payload("relation", "صلة القرابة", "relation", relation),
        Payload("disability", "إعاقة", "disability", disabled),
    ]
    return render(ctx, spec, rng, mem["pid"], payload, facts={"row": mem["row"]}, shuffle=False)


BUILDERS: dict[str, Callable[[Context, AgencySpec, np.random.Generator], Extract]] = {
    "registry": registry_members,
    "courts": courts,
    "deaths": deaths,
    "travel": travel,
    "loans": loans,
    "vehicles": vehicles,
    "pensions": pensions,
    "payroll": payroll,
    "licences": licences,
    "ration": ration,
    "insured": insured,
}
