"""`sijill hub ...`: the linkage hub as its own service, and an agency's upload to it.

``serve`` and ``trust`` run at the hub's operator (another party than the ministry): they take the hub's data
folder and public keys only. ``upload`` runs at a data holder, with its own key folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

hub_app = typer.Typer(help="The linkage hub as its own service (no key, no clear value): serve it, trust the "
                      "registry's key, upload a package to it.", no_args_is_help=True)
console = Console()


def _fail(error: Exception) -> None:
    console.print(f"[red]error:[/red] {error}")
    raise typer.Exit(1)


@hub_app.command("serve")
def hub_serve(
    data: Annotated[Path, typer.Option(help="The hub's own data folder (its database, packages and runs; never "
                                            "a key folder).", envvar="SIJILL_HUB_DATA_DIR")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    max_mb: Annotated[int, typer.Option(help="Largest package archive accepted, in MB.")] = 8192,
) -> None:
    """Serve the hub's API: packages in, runs, hits out to the registry only."""
    from sijill.hub.serve import serve
    from sijill.hub.store import SecretInDataFolder

    console.print(f"Sijill hub at http://{host}:{port}/ over {data.resolve()} (public keys only)")
    try:
        serve(data, host=host, port=port, max_bytes=max_mb << 20)
    except SecretInDataFolder as e:
        _fail(e)


@hub_app.command("trust")
def hub_trust(
    data: Annotated[Path, typer.Option(help="The hub's data folder.", envvar="SIJILL_HUB_DATA_DIR")],
    public_key: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                               help="The registry's holder.pub (a public key file).")],
) -> None:
    """Register a registry's signing key: the caller allowed to open cycles, run them and fetch hits."""
    from sijill.hub.store import HubStore, SecretInDataFolder
    from sijill.pprl.format import KeyFileError
    from sijill.pprl.format.keyfiles import hex_field, read_json

    try:
        data_ = read_json(public_key)
        holder = data_.get("holder")
        if not isinstance(holder, str) or not holder:
            raise KeyFileError(f"{public_key}: not a holder's public key (no 'holder')")
        HubStore(data).add_holder(holder, "registry", hex_field(data_, "ed25519", public_key, 32))
    except (KeyFileError, SecretInDataFolder) as e:
        _fail(e)
    console.print(f"{holder}: trusted as a registry by the hub in {data}")


@hub_app.command("upload")
def hub_upload(
    archive: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A package archive (sijill cycle "
                                                                             "pack).")],
    hub: Annotated[str, typer.Option(help="The hub's address, e.g. https://hub.example:8100.",
                                     envvar="SIJILL_HUB_URL")],
    keys: Annotated[Path, typer.Option(exists=True, file_okay=False, help="This holder's key folder (it signs "
                                                                          "the request).")],
    cycle: Annotated[str | None, typer.Option(help="The cycle (default: the key folder's).")] = None,
) -> None:
    """Send a package to the hub, signed by this holder; prints the hub's verdict."""
    from sijill.hub import HubClient, HubError
    from sijill.pprl.format import PprlError
    from sijill.pprl.holder import HolderKeys

    try:
        signer = HolderKeys.load(keys)
        answer = HubClient(hub, signer).upload(cycle or signer.cycle, archive)
    except (PprlError, HubError) as e:
        _fail(e)
    if answer.get("status") != "accepted":
        _fail(ValueError(f"refused: {answer.get('reason')}"))
    package = answer["package"]
    console.print(f"accepted by the hub for cycle {package['cycle']}: {package['records']:,} records, "
                  f"sha256 {package['sha256']}")
