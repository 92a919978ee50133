"""A hub run: verify packages, match the registry against each partner, write hits and the run log.

Takes no secret of any kind: packages are verified against the holders' public keys (a trust store),
and partner payloads stay sealed for the registry.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from sijill import __version__
from sijill.pprl.format import TrustStore, hits_table, open_packages, write_hits
from sijill.pprl.format.package import ENCODINGS, MANIFEST

from . import model as fs
from .cascade import Match, StageCounts, exact_stage, model_stage, one_to_one
from .comparisons import swap_column
from .encodings import engine_table, payloads
from .engines import ENGINES, Engine, open_engine


@dataclass(frozen=True)
class HubEvent:
    """One step of a hub run, for a progress bar or a log: a code to act on, a message for people to read.

    ``step`` is one of ``verified``, ``matching``, ``stage`` (a step inside one agency's matching), ``agency_done``
    and ``dedupe_done``; ``done`` and ``total`` count the comparisons (one per partner, one for the dedupe).
    """

    step: str
    message: str
    agency: str | None = None
    done: int = 0
    total: int = 0


Progress = Callable[[HubEvent], None]


@dataclass
class RunLog:
    cycle: str
    engine: str
    started: str
    seconds: float = 0.0
    packages: dict[str, str] = field(default_factory=dict)  # agency -> manifest signature hash
    stages: list[StageCounts] = field(default_factory=list)
    dedupe: StageCounts | None = None  # the registry matched with itself in the same run (``dedupe_out``)
    retention: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)
    code_version: str = __version__

    def as_dict(self) -> dict:
        return asdict(self)


def match(
    registry_package: Path,
    partner_packages: list[Path],
    out: Path,
    trusted: TrustStore,
    *,
    dedupe: bool = False,
    dedupe_out: Path | None = None,
    thresholds: fs.Thresholds | None = None,
    model_dir: Path | None = None,
    keep: bool = False,
    engine: str = "duckdb",
    progress: Progress = lambda _: None,
) -> RunLog:
    """Match ``registry_package`` against each partner package (or against itself with ``dedupe``).

    Writes ``out`` (hits, ``sijill.pprl.format.HITS_SCHEMA``), ``<out>.models/<agency>.json`` (the trained models,
    reusable with ``model_dir``) and ``<out>.log.json``. With ``dedupe_out`` the registry is also matched with
    itself in the same run (its package verified and expanded once), the pairs written there in the hits' format
    and counted in ``RunLog.dedupe``. ``engine`` is ``duckdb`` (embedded) or ``spark`` (``pip install
    'sijill[spark]'``): the same cascade, SQL and model on either.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    thresholds = thresholds or fs.Thresholds()
    start = time.monotonic()
    packages = open_packages([registry_package, *partner_packages], trusted)
    registry, partners = packages[0], packages[1:]
    if registry.agency != "registry":
        raise ValueError(f"{registry.path}: the first package must be the registry's, not {registry.agency!r}")
    if dedupe and (partners or dedupe_out):
        raise ValueError("--dedupe matches the registry package with itself: give no partner packages")
    log = RunLog(cycle=registry.manifest.cycle, engine=engine, started=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                 time.gmtime()), thresholds=asdict(thresholds))
    for p in packages:
        log.packages[p.agency] = _package_hash(p.path)
    total = (len(partners) or 1) + (dedupe_out is not None)
    progress(HubEvent("verified", f"verified {len(packages)} packages (cycle {log.cycle}); engine {engine}",
                      total=total))
    reg = engine_table(registry, "registry")
    models_out = Path(f"{out}.models")
    rows: list[dict] = []
    comparisons = [(p, dedupe) for p in partners or [registry]] + ([(registry, True)] if dedupe_out else [])
    eng = open_engine(engine)
    try:
        for done, (partner, alone) in enumerate(comparisons, start=1):
            agency = "registry" if alone else partner.agency

            def step(message: str, agency=agency, done=done) -> None:
                progress(HubEvent("stage", f"{agency}: {message}", agency, done - 1, total))

            progress(HubEvent("matching", f"{agency}: matching", agency, done - 1, total))
            counts = StageCounts(agency, registry_records=reg.num_rows)
            par = reg if alone else engine_table(partner, agency)
            counts.partner_records = par.num_rows
            spec = registry.manifest.spec
            matches = _match_pair(eng, reg, par, agency, thresholds, alone, model_dir, models_out, counts, step,
                                  swap_column(spec.blocking), spec.extra)
            step(f"one-to-one done; reading the sealed payloads of {len(matches):,} hits")
            sealed = payloads(partner, pa.array([m.partner_ref for m in matches], pa.string()))
            key = partner.manifest.sealed_payload_key
            found = [_hit_row(log.cycle, agency, key, m, sealed) for m in matches]
            summary = (f"{agency}: {counts.exact} exact, {counts.probable} probable, {counts.review} review, "
                       f"{counts.rejected} rejected")
            if alone and dedupe_out is not None:
                write_hits(dedupe_out, hits_table(found), [registry])
                log.dedupe = counts
                progress(HubEvent("dedupe_done", summary, agency, done, total))
            else:
                rows += found
                log.stages.append(counts)
                progress(HubEvent("agency_done", summary, agency, done, total))
    finally:
        eng.close()
    write_hits(out, hits_table(rows), packages)
    if not keep and not dedupe:
        log.retention = apply_retention([p.path for p in partners], log)
    log.seconds = round(time.monotonic() - start, 2)
    Path(f"{out}.log.json").write_text(json.dumps(log.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return log


def _match_pair(engine: Engine, reg, par, agency, thresholds, dedupe, model_dir, models_out, counts,
                progress, swap: str | None = None, extra=()) -> list[Match]:
    exact = exact_stage(engine, reg, par, dedupe)
    counts.exact = len(exact)
    progress(f"{agency}: {counts.exact:,} exact pairs (same national ID and a name part)")
    done = pa.array(sorted({m.partner_ref for m in exact}), pa.string())
    rest = par.filter(pc.invert(pc.is_in(par["unique_id"], value_set=done))) if len(done) else par
    model = None
    if model_dir is not None and (model_dir / f"{agency}.json").is_file():
        model = json.loads((model_dir / f"{agency}.json").read_text(encoding="utf-8"))
    scored, trained = model_stage(reg, par, rest, thresholds, dedupe=dedupe, model=model, progress=progress,
                                  counts=counts, engine=engine, swap=swap, extra=extra)
    models_out.mkdir(parents=True, exist_ok=True)
    (models_out / f"{agency}.json").write_text(json.dumps(trained, ensure_ascii=False, indent=1), encoding="utf-8")
    if dedupe:  # in a dedupe an exact pair is also found by the model: keep the exact one
        exact_pairs = {(m.registry_ref, m.partner_ref) for m in exact}
        scored = [m for m in scored if (m.registry_ref, m.partner_ref) not in exact_pairs]
    kept = exact + scored if dedupe else one_to_one(exact + scored, counts)
    counts.probable = sum(m.match_class == "probable" for m in kept)
    counts.review = sum(m.match_class == "review" for m in kept)
    return kept


def _hit_row(cycle: str, agency: str, payload_key: bytes, m: Match, sealed: dict[str, bytes]) -> dict:
    return {"cycle": cycle, "registry_ref": m.registry_ref, "agency": agency, "partner_ref": m.partner_ref,
            "match_class": m.match_class, "probability": m.probability, "match_weight": m.match_weight,
            "explanation": m.explanation, "payload_key": payload_key, "payload": sealed.get(m.partner_ref)}


def _package_hash(path: Path) -> str:
    return hashlib.sha256((path / MANIFEST).read_bytes()).hexdigest()[:16]


def apply_retention(partner_packages: list[Path], log: RunLog) -> list[str]:
    """The retention policy, the only place it is applied: each partner's encodings are deleted after its run;
    the hits carry what the registry needs (sealed payloads). A caller that must store the hits first (so that a
    failed store can run again) passes ``keep`` to ``match`` and calls this once they are safe."""
    counted = {s.agency: s for s in log.stages}
    lines = []
    for path in partner_packages:
        manifest = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
        agency, total = manifest["agency"], manifest["records"]
        stage = counted.get(agency)
        matched = stage.exact + stage.probable + stage.review if stage else 0
        (Path(path) / ENCODINGS).unlink(missing_ok=True)
        lines.append(f"{agency}: deleted the encodings of {total - matched} non-matched records (and of the "
                     f"{matched} matched, whose sealed payloads travel in the hits; dummies included) — retention "
                     "policy")
    return lines
