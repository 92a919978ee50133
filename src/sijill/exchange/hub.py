"""The ministry's side of the hub (``sijill.hub``, a service run by another party): it tells the hub which
agencies take part in a cycle, sends the registry's own package, starts the run, follows it, fetches the hits
and says when they are stored. Partner packages go from each agency straight to the hub and never come here.

The registry's worker signs every request with the registry's signing key (its key folder never leaves this
server); the hub answers the registry, and only the registry, with the hits.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from sijill.hub import HubClient, HubError
from sijill.identity import IDENTITY_VERSION
from sijill.pprl.format.archive import pack
from sijill.pprl.holder import HolderKeys

from . import storage
from .models import Agency, Cycle

__all__ = ["HubError", "HubPackage", "announce", "client", "configured", "hub_packages", "send_registry_package"]


def configured() -> bool:
    return bool(getattr(settings, "HUB_URL", ""))


def client() -> HubClient:
    """A client of the configured hub, signing as the registry."""
    if not configured():
        raise HubError(0, "hub.unconfigured", _("No linkage hub is configured: set SIJILL_HUB_URL to the address "
                                                "of the hub (`sijill hub serve`, run by another party) before "
                                                "running a cycle."))
    return HubClient(settings.HUB_URL, HolderKeys.load(storage.registry_keys_dir()))


def participants() -> dict[str, dict]:
    """What the hub must know of each agency to check its packages: its key, its schema, its agreement's payload."""
    out = {}
    for agency in Agency.objects.filter(active=True).exclude(signing_key="").prefetch_related("agreements"):
        agreement = agency.agreement_in_force()
        if agreement is None:
            continue
        # stored as the registered holder.pub was checked (``trust.register_key``): {"holder", "ed25519"}
        out[agency.code] = {"ed25519": json.loads(agency.signing_key)["ed25519"], "schema": agency.schema,
                            "payload_fields": list(agreement.allowed_payload_fields)}
    return out


def announce(cycle: Cycle) -> dict:
    """Open ``cycle`` at the hub (again: its participants are updated while it is open)."""
    return client().open_cycle(cycle.code, IDENTITY_VERSION, participants())


def announce_if_open(cycle: Cycle | None = None) -> None:
    """After a change of agencies or keys: tell the hub, when one is configured and a cycle is open. A hub that
    does not answer now is told again before the cycle runs."""
    from .models import CycleState

    if not configured():
        return
    cycle = cycle or Cycle.objects.filter(state=CycleState.OPEN).first()
    if cycle is None:
        return
    try:
        announce(cycle)
    except HubError as e:
        import logging

        # a hub that does not know the registry's key yet (its operator registers it once) is told at the run
        level = logging.INFO if e.code == "holder.unknown" else logging.WARNING
        logging.getLogger(__name__).log(level, "the hub did not take cycle %s's participants now: %s", cycle.code, e)


def close_at_hub(cycle: Cycle) -> None:
    """Close ``cycle`` at the hub too (it deletes any package or hits it still keeps). A hub that does not know
    the cycle, or does not answer, is logged: the hub also deletes at retention."""
    if not configured():
        return
    try:
        client().close_cycle(cycle.code)
    except HubError as e:
        if e.status != 404:
            import logging

            logging.getLogger(__name__).warning("the hub did not close cycle %s: %s", cycle.code, e)


@dataclass(frozen=True)
class HubPackage:
    """A package as the hub reports it: who sent it, its hash and size, and the verdict. Never its content."""

    holder: str
    status: str
    reason: str
    sha256: str
    records: int
    size_bytes: int
    received_at: str
    superseded: bool
    deleted_at: str | None

    @property
    def uploaded_at(self):
        """When the hub received it, as a time (the pages show it like the registry's own)."""
        import datetime as dt

        return dt.datetime.fromisoformat(self.received_at.replace("Z", "+00:00"))

    @property
    def in_use(self) -> bool:
        """The holder's package a run would read."""
        return self.status == "accepted" and not self.superseded and not self.deleted_at


def hub_packages(cycle: Cycle) -> list[HubPackage]:
    """The cycle's packages at the hub, newest first (empty when no hub is configured or the cycle is unknown)."""
    if not configured():
        return []
    try:
        rows = client().cycle(cycle.code)["packages"]
    except HubError as e:
        if e.status == 404:
            return []
        raise
    return [HubPackage(p["holder"], p["status"], p["reason"], p["sha256"], p["records"], p["size_bytes"],
                       p["received_at"], p["superseded"], p["deleted_at"]) for p in rows]


def send_registry_package(cycle: Cycle, package_dir: Path) -> dict:
    """Send the registry's package folder to the hub, without its map (the map never leaves the registry), and
    with its linkage schema when the cycle's registry encodes with one other than the shipped registry schema."""
    from sijill.pprl.format.schema import EXAMPLE

    from .registries import get as get_registry

    declared = get_registry(cycle.registry).schema
    schema = None if declared.startswith(EXAMPLE) else Path(declared)
    with tempfile.TemporaryDirectory(prefix="to-hub-", dir=storage.incoming_dir()) as tmp:
        archive = Path(tmp) / "registry.tar"
        with open(archive, "wb") as f:
            pack(package_dir, f, schema=schema)
        answer = client().upload(cycle.code, archive)
    if answer.get("status") != "accepted":
        raise HubError(422, "package.refused", answer.get("reason", "refused"))
    return answer["package"]
