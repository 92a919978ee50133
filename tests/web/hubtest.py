"""A linkage hub for the web tests: the real service (``sijill.hub``) over its own data folder, served over HTTP
from a thread of the test process, and the ministry's settings pointed at it. Agencies upload to it as they do
in production (signed by their own keys); the registry's worker talks to it through ``sijill.exchange.hub``."""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sijill.hub import HubClient
from sijill.hub.app import make_app
from sijill.pprl.format.keyfiles import HOLDER_PUBLIC
from sijill.pprl.holder import HolderKeys


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@dataclass
class LocalHub:
    url: str
    data: Path
    app: object
    server: object

    @property
    def store(self):
        return self.app.store

    def trust_registry(self) -> None:
        """The hub's operator registers the registry's public signing key (``sijill hub trust``)."""
        import json

        from sijill.exchange import storage

        pub = json.loads((storage.registry_keys_dir() / HOLDER_PUBLIC).read_text(encoding="utf-8"))
        self.store.add_holder(pub["holder"], "registry", bytes.fromhex(pub["ed25519"]))

    def upload(self, key_folder: Path, archive: Path) -> dict:
        """An agency sends its package archive, signed with its own key."""
        keys = HolderKeys.load(key_folder)
        return HubClient(self.url, keys).upload(keys.cycle, archive)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_local_hub(data: Path) -> LocalHub:
    app = make_app(data)
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="test-hub", daemon=True).start()
    return LocalHub(f"http://127.0.0.1:{server.server_port}", Path(data), app, server)
