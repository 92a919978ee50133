"""Opening a cycle: the registry's keys start it, and its id is what every holder writes in its package.

The registry is a data holder too. Its key folder (SIJILL_DATA_DIR/keys/registry) holds the cycle's linkage
secret: opening a cycle makes a new one (``sijill keys init`` the first time, ``rotate`` after), unless the
folder already holds a cycle no ``Cycle`` names yet (made at the command line). Agencies then join the cycle
with ``sijill keys init --join`` / ``rotate --join`` on a copy handed over a trusted channel.
"""

from __future__ import annotations

import datetime as dt
import fcntl
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sijill.pprl.format.keyfiles import REGISTRY_SECRET, RETIRED
from sijill.pprl.holder import init_keys, rotate_keys
from sijill.pprl.holder.keys import key_info

from . import storage
from .models import Agency, Cycle, CycleState, Package, PackageStatus, RunState

REGISTRY_HOLDER = "registry"
REGISTRY_KEY_MAX_AGE = dt.timedelta(days=365)
RUN_ACTIVE = (RunState.QUEUED, RunState.RUNNING)


class CycleError(ValueError):
    pass


def registry_cycle() -> str | None:
    """The cycle id in the registry's key folder, if it has one."""
    folder = storage.registry_keys_dir()
    return key_info(folder).cycle if (folder / "cycle.json").exists() else None


def open_cycle(*, user=None, request=None, note: str = "", rotate_registry_key: bool = False) -> Cycle:
    """A new cycle with the registry's new linkage secret (and, on request, a new payload key pair)."""
    from sijill.audit.trail import record

    folder = storage.registry_keys_dir()
    folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # One opener at a time (two analysts, or the page and the command line): the check, the key rotation and
    # the new row go together, or two open cycles and a secret rotated twice would follow.
    with open(folder.parent / ".open-cycle.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if Cycle.objects.filter(state__in=[CycleState.OPEN, CycleState.RUNNING]).exists():
            raise CycleError(_("A cycle is already open: close it before opening the next one."))
        current = registry_cycle()
        if current is None:
            code = init_keys(folder, REGISTRY_HOLDER).cycle
        elif Cycle.objects.filter(code=current).exists() or rotate_registry_key:
            code = rotate_keys(folder, registry=rotate_registry_key).cycle
        else:
            code = current  # made at the command line for this cycle
        cycle = Cycle.objects.create(code=code, opened_by=user if getattr(user, "pk", None) else None, note=note)
    record("cycle_open", request=request, user=user, actor=None if user else "cli", target=cycle,
           registry_key=key_info(folder).registry_key, rotated_registry_key=rotate_registry_key)
    return cycle


def close_cycle(cycle: Cycle, *, user=None, request=None) -> Cycle:
    from sijill.audit.trail import record

    with transaction.atomic():  # locked: a run started meanwhile (the cycle running) is not closed under it
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if locked.state == CycleState.RUNNING or locked.runs.filter(state__in=RUN_ACTIVE).exists():
            raise CycleError(_("The cycle is running."))
        cycle.state, cycle.closed_at = CycleState.CLOSED, timezone.now()
        cycle.save(update_fields=["state", "closed_at"])
    record("cycle_close", request=request, user=user, actor=None if user else "cli", target=cycle)
    return cycle


@dataclass(frozen=True)
class KeyReminder:
    """What the analyst must remember about keys when a cycle opens."""

    cycle: str
    registry_key: str | None
    registry_key_age_days: int | None
    retired_keys: int
    rotate_registry_key_now: bool


def key_reminder(cycle: Cycle) -> KeyReminder:
    folder = storage.registry_keys_dir()
    info = key_info(folder)
    secret = folder / REGISTRY_SECRET
    age = None
    if secret.exists():
        made = dt.datetime.fromtimestamp(secret.stat().st_mtime, tz=dt.UTC)
        age = (dt.datetime.now(dt.UTC) - made).days
    retired = len(list((folder / RETIRED).glob("*.secret"))) if (folder / RETIRED).is_dir() else 0
    return KeyReminder(cycle=cycle.code, registry_key=info.registry_key, registry_key_age_days=age,
                       retired_keys=retired,
                       rotate_registry_key_now=age is not None and age > REGISTRY_KEY_MAX_AGE.days)


@dataclass(frozen=True)
class Holding:
    """A holder's place in a cycle: its package in use (the latest accepted), if any."""

    code: str
    name: str
    agency: Agency | None
    package: Package | None
    refused: int


def holdings(cycle: Cycle) -> list[Holding]:
    """The registry and each active agency, with the package of theirs the run would use."""
    current = {p.agency_id: p for p in cycle.packages.filter(status=PackageStatus.ACCEPTED, superseded=False)}
    refused: dict[int | None, int] = {}
    for p in cycle.packages.filter(status=PackageStatus.REJECTED).values_list("agency_id", flat=True):
        refused[p] = refused.get(p, 0) + 1
    rows = [Holding(REGISTRY_HOLDER, _("The registry (its own members)"), None, current.get(None),
                    refused.get(None, 0))]
    for agency in Agency.objects.filter(active=True):
        rows.append(Holding(agency.code, agency.name, agency, current.get(agency.pk), refused.get(agency.pk, 0)))
    return rows


def packages_for_run(cycle: Cycle) -> tuple[Package | None, list[Package]]:
    """The registry's package (None: the run encodes the registry's members first) and the agencies' ones the
    run uses; refuses a cycle that cannot run."""
    from .registries import get as get_registry

    current = list(cycle.packages.filter(status=PackageStatus.ACCEPTED, superseded=False).select_related("agency"))
    registry = [p for p in current if p.agency_id is None]
    partners = sorted((p for p in current if p.agency_id is not None), key=lambda p: p.agency.code)
    if not partners:
        raise CycleError(_("No agency's package is in yet."))
    if not registry and not get_registry(cycle.registry).count():
        raise CycleError(_("The registry has no members to match."))
    return (registry[0] if registry else None), partners


@transaction.atomic
def mark(cycle: Cycle, state: str) -> None:
    Cycle.objects.filter(pk=cycle.pk).update(state=state)
    cycle.state = state
