"""The hub's HTTP API: a small WSGI application (served by gunicorn, ``sijill hub serve``).

Every call but ``GET /health`` is signed by its caller (``signing``). The registry opens its cycles, sends its
own package, starts runs, follows them and fetches their hits; an agency sends its packages and sees their
verdicts. Hits go to the cycle's registry and to no one else.

::

    GET  /health                          the service and its version (no signature)
    PUT  /cycles/<code>                   registry: open the cycle / name its participants
    GET  /cycles/<code>                   registry: packages in use, refusals, runs
    POST /cycles/<code>/close             registry: close; whatever is still kept is deleted
    POST /cycles/<code>/packages          registry or participant: a package archive (the body)
    GET  /cycles/<code>/packages          the caller's own packages and their verdicts (all, for the registry)
    POST /cycles/<code>/runs              registry: start a run ({"dedupe": true})
    GET  /runs/<id>                       registry: state, stage, progress, log
    GET  /runs/<id>/hits                  registry: the hits (Parquet; payloads sealed to the registry)
    GET  /runs/<id>/duplicates            registry: the pairs of its own package that look like one person
    POST /runs/<id>/delivered             registry: it stored the hits; the hub deletes them
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from sijill import __version__

from . import cycles, receive, runs, signing
from .errors import Refused
from .store import Holder, HubStore

DEFAULT_MAX_BYTES = 8 << 30
MAX_JSON_BYTES = 1 << 20
ROUTES = [
    ("PUT", r"/cycles/(?P<code>[^/]+)", "open_cycle"),
    ("GET", r"/cycles/(?P<code>[^/]+)", "show_cycle"),
    ("POST", r"/cycles/(?P<code>[^/]+)/close", "close_cycle"),
    ("POST", r"/cycles/(?P<code>[^/]+)/packages", "upload"),
    ("GET", r"/cycles/(?P<code>[^/]+)/packages", "own_packages"),
    ("POST", r"/cycles/(?P<code>[^/]+)/runs", "start_run"),
    ("GET", r"/runs/(?P<run>\d+)", "show_run"),
    ("GET", r"/runs/(?P<run>\d+)/hits", "hits"),
    ("GET", r"/runs/(?P<run>\d+)/duplicates", "duplicates"),
    ("POST", r"/runs/(?P<run>\d+)/delivered", "delivered"),
]
STATUS = {200: "200 OK", 400: "400 Bad Request", 401: "401 Unauthorized", 403: "403 Forbidden",
          404: "404 Not Found", 405: "405 Method Not Allowed", 409: "409 Conflict", 410: "410 Gone",
          413: "413 Content Too Large", 422: "422 Unprocessable Content", 500: "500 Internal Server Error"}


@dataclass
class Request:
    method: str
    path: str
    environ: dict
    caller: Holder
    body_sha256: str

    @property
    def length(self) -> int:
        try:
            return int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 0

    def json(self) -> dict:
        if self.length > MAX_JSON_BYTES:
            raise Refused(413, "request.too_large", "The request is too large.")
        body = self.environ["wsgi.input"].read(self.length) if self.length else b""
        if signing.body_sha256(body) != self.body_sha256:
            raise Refused(400, "request.sha256", "The body is not the one the request's signature names.")
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise Refused(400, "request.json", "The body must be JSON.") from None
        if not isinstance(data, dict):
            raise Refused(400, "request.json", "The body must be a JSON object.")
        return data


class HubApp:
    """The WSGI application over one data folder."""

    def __init__(self, store: HubStore, *, max_bytes: int = DEFAULT_MAX_BYTES):
        self.store, self.max_bytes = store, max_bytes
        self.routes = [(m, re.compile(p + r"\Z"), getattr(self, name)) for m, p, name in ROUTES]

    def __call__(self, environ, start_response):
        environ["wsgi.input"] = _Counted(environ["wsgi.input"])
        try:
            status, headers, body = self.handle(environ)
        except Refused as r:
            _drain(environ)
            status, headers, body = r.status, [], _json({"error": r.code, "message": r.message})
        except Exception:  # the caller learns nothing of the hub's inside; its log has the trace
            import logging

            logging.getLogger(__name__).exception("hub request failed")
            status, headers, body = 500, [], _json({"error": "hub.error", "message": "The hub failed; see its log."})
        if not any(k == "Content-Type" for k, _ in headers):
            headers.append(("Content-Type", "application/json; charset=utf-8"))
        if isinstance(body, bytes):
            start_response(STATUS.get(status, f"{status} Error"), [*headers, ("Content-Length", str(len(body)))])
            return [body]
        start_response(STATUS.get(status, f"{status} Error"), headers)
        return body

    def handle(self, environ):
        method, path = environ["REQUEST_METHOD"].upper(), environ.get("PATH_INFO") or "/"
        if path == "/health" and method == "GET":
            return 200, [], _json({"service": "sijill-hub", "version": __version__})
        allowed = False
        for m, pattern, handler in self.routes:
            found = pattern.match(path)
            if found:
                allowed = True
                if m == method:
                    request = self.authenticate(environ, method, path)
                    return handler(request, **found.groupdict())
        if allowed:
            raise Refused(405, "request.method", f"{method} is not allowed on {path}.")
        raise Refused(404, "request.path", f"The hub has no {path}.")

    def authenticate(self, environ, method: str, path: str) -> Request:
        def header(name: str) -> str:
            return environ.get("HTTP_" + name.upper().replace("-", "_"), "").strip()

        name, when, nonce, signature = (header(h) for h in (signing.HOLDER, signing.TIME, signing.NONCE,
                                                              signing.SIGNATURE))
        content = header(signing.CONTENT_SHA256).lower()
        if not (name and when and nonce and signature and content):
            raise Refused(401, "signature.missing", "Sign the request with the holder's Ed25519 key (the "
                          f"{signing.HOLDER}, {signing.TIME}, {signing.NONCE}, {signing.CONTENT_SHA256} and "
                          f"{signing.SIGNATURE} headers).")
        caller = self.store.holder(name)
        if caller is None:
            raise Refused(403, "holder.unknown", f"“{name}” is not a holder this hub knows.")
        query = environ.get("QUERY_STRING", "")
        target = f"{path}?{query}" if query else path
        try:
            VerifyKey(caller.ed25519).verify(signing.signed_bytes(method, target, int(when), nonce, content),
                                             bytes.fromhex(signature))
        except (BadSignatureError, ValueError):
            raise Refused(403, "signature.invalid", "The signature does not match the request, or is not by "
                          f"{name}'s registered key.") from None
        if abs(time.time() - int(when)) > signing.CLOCK_SKEW_SECONDS:
            raise Refused(401, "signature.time", "The request's time is too far from the hub's clock.")
        if len(nonce) > 64 or self.store.seen_nonce(name, nonce, time.time(), 2 * signing.CLOCK_SKEW_SECONDS):
            raise Refused(409, "signature.replayed", "This request was already received: it is not done twice.")
        return Request(method, path, environ, caller, content)

    @staticmethod
    def registry(request: Request) -> str:
        if request.caller.role != "registry":
            raise Refused(403, "role.forbidden", "Only the registry may do this.")
        return request.caller.name

    # --- handlers ----------------------------------------------------------------------------------------

    def open_cycle(self, request, code):
        registry = self.registry(request)
        return 200, [], _json(cycles.register_cycle(self.store, registry, code, request.json()))

    def show_cycle(self, request, code):
        return 200, [], _json(cycles.cycle_status(self.store, code, self.registry(request)))

    def close_cycle(self, request, code):
        registry = self.registry(request)
        request.json()
        return 200, [], _json(cycles.close_cycle(self.store, code, registry))

    def upload(self, request, code):
        try:
            row = receive.receive(self.store, request.caller, code, request.environ["wsgi.input"], request.length,
                                  self.max_bytes, request.body_sha256)
        except receive.PackageRefused as refused:
            return 422, [], _json({"status": "rejected", "reason": refused.message})
        return 200, [], _json({"status": "accepted", "package": row})

    def own_packages(self, request, code):
        cycle = cycles.cycle_row(self.store, code)
        with self.store.db() as db:
            if request.caller.role == "registry" and cycle["registry"] == request.caller.name:
                rows = db.execute("SELECT * FROM packages WHERE cycle = ? ORDER BY id DESC", (code,)).fetchall()
            else:
                rows = db.execute("SELECT * FROM packages WHERE cycle = ? AND holder = ? ORDER BY id DESC LIMIT 50",
                                  (code, request.caller.name)).fetchall()
        # an agency sees its verdicts and the cycle's state: never a stage line, which names others' hit counts
        return 200, [], _json({"cycle": code, "cycle_state": cycle["state"],
                               "packages": [cycles.package_dict(r) for r in rows]})

    def start_run(self, request, code):
        registry = self.registry(request)
        options = request.json()
        return 200, [], _json(runs.start_run(self.store, registry, code, dedupe=bool(options.get("dedupe", True))))

    def show_run(self, request, run):
        return 200, [], _json(runs.run_status(self.store, self.registry(request), int(run)))

    def hits(self, request, run, name=runs.HITS):
        path = runs.result_file(self.store, self.registry(request), int(run), name)
        return 200, [("Content-Type", "application/vnd.apache.parquet")], path.read_bytes()

    def duplicates(self, request, run):
        return self.hits(request, run, runs.DUPLICATES)

    def delivered(self, request, run):
        registry = self.registry(request)
        request.json()
        return 200, [], _json(runs.delivered(self.store, registry, int(run)))


class _Counted:
    """The request body, counting what was read of it."""

    def __init__(self, stream):
        self.stream, self.read_bytes = stream, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.read_bytes += len(data)
        return data


DRAIN_LIMIT = 64 << 20


def _drain(environ) -> None:
    """Read what is left of a refused request's body (up to 64 MB), so the caller can read the refusal instead of
    a broken connection; a larger body is cut off."""
    stream = environ["wsgi.input"]
    try:
        left = min(int(environ.get("CONTENT_LENGTH") or 0) - stream.read_bytes, DRAIN_LIMIT)
    except ValueError:
        return
    while left > 0:
        chunk = stream.read(min(1 << 20, left))
        if not chunk:
            break
        left -= len(chunk)


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def make_app(data_dir, *, max_bytes: int = DEFAULT_MAX_BYTES) -> HubApp:
    """The application over ``data_dir``; runs a stopped hub left running are failed first."""
    store = HubStore(data_dir)
    runs.fail_interrupted_runs(store)
    return HubApp(store, max_bytes=max_bytes)
