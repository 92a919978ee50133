"""The ration world: the Ministry of Trade's card file, and the Ministry of Interior's extracts it is matched with.

The same population as ``generate_world`` (same seed, same number of persons, same stage streams), seen by two
other ministries:

- ``ration/cards.csv`` (Windows-1256, as the centres' old systems export it): one row per member of each
  household's card, with the card's centre and agent. Cards are not kept up to date: members who died in the
  last years are still listed, emigrants too, some married daughters are listed on their parents' card as well
  as their husband's, and the national ID is known for about half of the members only.
- ``ration/centres.csv`` and ``ration/agents.csv``: the distribution network.
- ``interior/national_cards.csv``: the unified national card register of the living (the linkage target).
- ``agencies/deaths.csv``, ``agencies/travel.csv``: Interior's deaths and border crossings, as in the main world.
- ``truth/ration_members.csv``: who each card row really is, and whether they are dead or abroad.

Pure layer: numpy and pyarrow only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill import __version__
from sijill.identity import IDENTITY_VERSION

from . import catalog
from .agencies import BUILDERS, Context, Payload, render
from .config import AgencySpec, Mess, SynthConfig
from .holdings import build_holdings
from .households import RELATIONS_AR, relation_to_head
from .mess import Renderer
from .names import FEMALE, NameBook
from .population import build_population
from .registry import build_registry
from .timeline import NEVER, day, years
from .world import _rng
from .writers import write_table

CARD_SPEC = AgencySpec(
    "ration_cards", "Ration cards (Ministry of Trade, Public Distribution System)", "csv", "cp1256", "split", "ar",
    ("dmy",), Mess(spelling=0.05, dots=0.03, keyboard=0.01, drop_grandfather=0.05, drop_surname=0.3,
                   drop_mother=0.05, date_format=0.2, id_typo=0.01, id_missing=0.45, governorate_by_city=0.1))
NATIONAL_SPEC = AgencySpec(
    "national_cards", "Unified national card register (Ministry of Interior)", "csv", "utf-8", "split", "ar",
    ("dmy",), Mess(spelling=0.01))
DEAD_STILL_LISTED = 0.85  # share of members who died in the deaths extract's window and are still on a card
DUPLICATE_DAUGHTERS = 0.03  # share of married women also listed on their parents' card
CENTRES_PER_GOVERNORATE = 2
AGENTS_PER_CENTRE = 6


@dataclass
class RationWorld:
    outdir: Path
    cards: int = 0
    members: int = 0
    centres: int = 0
    agents: int = 0
    files: dict[str, str] = field(default_factory=dict)  # role -> path relative to outdir


def generate_ration_world(outdir: str | Path, persons: int, seed: int,
                          config: SynthConfig | None = None) -> RationWorld:
    """Write the ration world of ``persons`` people into ``outdir``; see the module's docstring for the files."""
    config = config or SynthConfig()
    outdir = Path(outdir)
    today = day(config.today)
    book = NameBook()
    pop = build_population(_rng(seed, "population"), persons, today, config.demography, book)
    holdings = build_holdings(_rng(seed, "holdings"), pop, today)
    registry = build_registry(_rng(seed, "registry"), pop, holdings, today, day(config.registry_start), config.rules)
    ctx = Context(pop, holdings, registry, Renderer(pop, book, today), today)
    rng = _rng(seed, "ration")
    world = RationWorld(outdir)

    centres, agents, centre_of_gov = _network(rng)
    cards, truth = _cards(ctx, rng, centres, agents, centre_of_gov, config)
    national = _national_cards(ctx, _rng(seed, "national_cards"))
    tables = {
        "centres": ("ration/centres.csv", pa.table({k: [c[k] for c in centres] for k in centres[0]}), "utf-8"),
        "agents": ("ration/agents.csv", pa.table({k: [a[k] for a in agents] for k in agents[0]}), "utf-8"),
        "cards": ("ration/cards.csv", cards.table, CARD_SPEC.encoding),
        "national_cards": ("interior/national_cards.csv", national.table, NATIONAL_SPEC.encoding),
        "truth": ("truth/ration_members.csv", truth, "utf-8"),
    }
    specs = config.agencies
    for name in ("deaths", "travel"):
        extract = BUILDERS[name](ctx, specs[name], _rng(seed, name))
        tables[name] = (f"agencies/{name}.csv", extract.table, specs[name].encoding)
    for role, (path, table, encoding) in tables.items():
        write_table(table, outdir / path, "csv", encoding)
        world.files[role] = path
    world.cards = len(set(cards.table.column("رقم البطاقة").to_pylist()))
    world.members, world.centres, world.agents = cards.table.num_rows, len(centres), len(agents)
    manifest = {"generator": f"sijill {__version__}", "identity_version": IDENTITY_VERSION, "persons": persons,
                "seed": seed, "today": config.today.isoformat(), "files": world.files,
                "cards": world.cards, "members": world.members, "centres": world.centres, "agents": world.agents}
    (outdir / "ration-manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                                 encoding="utf-8")
    return world


def _network(rng: np.random.Generator) -> tuple[list[dict], list[dict], dict[int, list[int]]]:
    """Centres (a few per governorate) and the agents attached to each."""
    centres, agents, of_gov = [], [], {}
    for g, row in enumerate(catalog.governorates()):
        for k in range(CENTRES_PER_GOVERNORATE):
            code = f"C{g + 1:02d}{k + 1:02d}"
            of_gov.setdefault(g, []).append(len(centres))
            centres.append({"code": code, "name": f"مركز تموين {row['capital']} {k + 1}", "governorate": row["name"],
                            "district": row["capital"]})
            for a in range(AGENTS_PER_CENTRE):
                number = f"A{g + 1:02d}{k + 1:02d}{a + 1:02d}"
                agents.append({"number": number, "name": f"وكيل {number}", "centre": code,
                               "area": f"{row['capital']} - حي {a + 1}"})
    return centres, agents, of_gov


def _cards(ctx: Context, rng: np.random.Generator, centres: list[dict], agents: list[dict],
           centre_of_gov: dict[int, list[int]], config: SynthConfig):
    pop, hs, today = ctx.pop, ctx.registry.households, ctx.today
    head = hs.head_at(pop, np.full(hs.count, today, dtype=np.int32))
    m = hs.order
    h = hs.of_person[m]
    died = pop.death[m] < NEVER
    recent = died & (pop.death[m] >= today - years(5)) & (rng.random(len(m)) < DEAD_STILL_LISTED)
    listed = (head[h] >= 0) & (~died | recent) & (pop.birth[m] <= today)
    m, h = m[listed], h[listed]
    # married daughters still on their parents' card (and on their husband's)
    wives = m[(pop.sex[m] == FEMALE) & (pop.couple[m] >= 0) & (pop.father_pid[m] >= 0) & (pop.death[m] == NEVER)]
    wives = wives[rng.random(len(wives)) < DUPLICATE_DAUGHTERS]
    parents_hh = hs.of_person[pop.father_pid[wives]]
    ok = (parents_hh >= 0) & (head[np.maximum(parents_hh, 0)] >= 0)
    wives, parents_hh = wives[ok], parents_hh[ok]
    extra = wives[parents_hh != hs.of_person[wives]]
    extra_h = parents_hh[parents_hh != hs.of_person[wives]]
    m = np.concatenate([m, extra])
    h = np.concatenate([h, extra_h])
    second = np.r_[np.zeros(len(m) - len(extra), bool), np.ones(len(extra), bool)]
    order = np.lexsort((np.arange(len(m)), h))
    m, h, second = m[order], h[order], second[order]
    households = np.unique(h)
    card_no = np.zeros(hs.count, dtype=np.int64)
    card_no[households] = 3_000_001 + rng.permutation(len(households))
    gov = pop.gov[head[households]]
    centre = np.array([rng.choice(centre_of_gov[int(g)]) for g in gov], dtype=np.int64)
    agent = centre * AGENTS_PER_CENTRE + rng.integers(0, AGENTS_PER_CENTRE, len(households))
    centre_of, agent_of = np.zeros(hs.count, np.int64), np.zeros(hs.count, np.int64)
    centre_of[households], agent_of[households] = centre, agent
    relation = relation_to_head(pop, m, head[h])
    codes = pa.array([c["code"] for c in centres])
    numbers = pa.array([a["number"] for a in agents])
    payload = [
        Payload("card_no", "رقم البطاقة", "card_no", pc.cast(pa.array(card_no[h]), pa.string())),
        Payload("centre", "رمز المركز", "centre", codes.take(pa.array(centre_of[h]))),
        Payload("agent", "رقم الوكيل", "agent", numbers.take(pa.array(agent_of[h]))),
        Payload("relation", "صلة القرابة", "relation", pa.array(RELATIONS_AR).take(pa.array(relation))),
    ]
    extract = render(ctx, CARD_SPEC, rng, m, payload, shuffle=False)
    travel = ctx.holdings.travel
    abroad_since = np.full(len(pop), NEVER, dtype=np.int64)
    away = travel["back"] == NEVER
    abroad_since[travel["pid"][away]] = travel["exit"][away]
    govs = pa.array([g["name"] for g in catalog.governorates()])
    truth = pa.table({
        "record_id": extract.record_ids,
        "person_id": pa.array(m.astype(np.int64)),
        "card_no": pc.cast(pa.array(card_no[h]), pa.string()),
        "national_id": pc.if_else(pa.array(pop.nid[m] > 0), pc.cast(pa.array(pop.nid[m]), pa.string()),
                                  pa.scalar(None, pa.string())),
        "governorate": govs.take(pa.array(pop.gov[m].astype(np.int32))),
        "dead": pa.array(pop.death[m] < NEVER),
        "abroad_days": pa.array(np.where(abroad_since[m] < NEVER, today - np.minimum(abroad_since[m], today), 0)),
        "second_card": pa.array(second),
    })
    return extract, truth


def _national_cards(ctx: Context, rng: np.random.Generator):
    """Everyone alive with a national ID: Interior's register, its own clean spelling, and the number as payload."""
    pop = ctx.pop
    pids = np.flatnonzero((pop.death == NEVER) & (pop.nid > 0) & (pop.birth <= ctx.today))
    payload = [Payload("national_id", "الرقم الوطني", "national_id", pc.cast(pa.array(pop.nid[pids]), pa.string()))]
    return render(ctx, NATIONAL_SPEC, rng, pids, payload)

