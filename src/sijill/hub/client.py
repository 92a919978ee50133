"""A caller of the hub's API (``sijill.hub.app``): the registry's worker and the agencies use it.

It signs each request with the caller's Ed25519 key through a ``Signer`` (``pprl.holder.HolderKeys`` has the
shape: ``holder`` and ``sign``); the client itself never holds a key file. Standard library HTTP only.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from . import signing


class Signer(Protocol):
    holder: str

    def sign(self, message: bytes) -> bytes: ...


class HubError(Exception):
    """The hub refused (``status`` and ``code`` say why) or could not be reached (``status`` 0)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{message} ({code}, HTTP {status})" if status else message)
        self.status, self.code, self.message = status, code, message


class HubClient:
    def __init__(self, url: str, signer: Signer, *, timeout: float = 600):
        self.url, self.signer, self.timeout = url.rstrip("/"), signer, timeout

    # --- the registry and the agencies ------------------------------------------------------------------

    def health(self) -> dict:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=10) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise HubError(0, "hub.unreachable", f"The hub at {self.url} does not answer: {e}") from None

    def upload(self, cycle: str, archive: Path) -> dict:
        """Send a package archive to cycle ``cycle``. Returns the hub's verdict ({"status": "accepted"|"rejected",
        ...}); a refused package is a verdict, not an error."""
        digest = hashlib.sha256()
        with open(archive, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        size = Path(archive).stat().st_size
        with open(archive, "rb") as body:
            return self._call("POST", f"/cycles/{cycle}/packages", body, digest.hexdigest(), size,
                              verdict=True)

    def packages(self, cycle: str) -> dict:
        return self._json("GET", f"/cycles/{cycle}/packages")

    # --- the registry only ------------------------------------------------------------------------------

    def open_cycle(self, cycle: str, identity_version: str, participants: dict[str, dict]) -> dict:
        """``participants``: agency -> {"ed25519": hex, "schema": name, "payload_fields": [...]}."""
        return self._json("PUT", f"/cycles/{cycle}", {"identity_version": identity_version,
                                                       "participants": participants})

    def cycle(self, cycle: str) -> dict:
        return self._json("GET", f"/cycles/{cycle}")

    def close_cycle(self, cycle: str) -> dict:
        return self._json("POST", f"/cycles/{cycle}/close", {})

    def start_run(self, cycle: str, *, dedupe: bool = True) -> dict:
        return self._json("POST", f"/cycles/{cycle}/runs", {"dedupe": dedupe})

    def run(self, run_id: int) -> dict:
        return self._json("GET", f"/runs/{run_id}")

    def wait_run(self, run_id: int, *, on_progress: Callable[[dict], None] = lambda _: None,
                 poll: float = 1.0) -> dict:
        """Follow the run until it succeeds or fails; ``on_progress`` sees each state read."""
        while True:
            state = self.run(run_id)
            on_progress(state)
            if state["state"] in ("succeeded", "failed"):
                return state
            time.sleep(poll)

    def fetch(self, run_id: int, out: Path, *, duplicates: bool = False) -> Path:
        """Download the run's hits (or possible duplicates) to ``out``."""
        path = f"/runs/{run_id}/{'duplicates' if duplicates else 'hits'}"
        response = self._open("GET", path, b"", signing.body_sha256(b""), 0)
        tmp = Path(out).with_name(Path(out).name + ".part")
        with response, open(tmp, "wb") as f:
            shutil.copyfileobj(response, f)
        tmp.replace(out)
        return Path(out)

    def delivered(self, run_id: int) -> dict:
        return self._json("POST", f"/runs/{run_id}/delivered", {})

    # --- the wire -----------------------------------------------------------------------------------------

    def _json(self, method: str, path: str, data: dict | None = None) -> dict:
        body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode("utf-8")
        return self._call(method, path, body, signing.body_sha256(body), len(body))

    def _call(self, method, path, body, sha256: str, size: int, *, verdict: bool = False) -> dict:
        try:
            with self._open(method, path, body, sha256, size, verdict=verdict) as response:
                return json.loads(response.read())
        except ValueError:
            raise HubError(0, "hub.answer", f"The hub at {self.url} answered something other than JSON.") from None

    def _open(self, method, path, body, sha256: str, size: int, *, verdict: bool = False):
        when, nonce = int(time.time()), secrets.token_hex(16)
        signature = self.signer.sign(signing.signed_bytes(method, path, when, nonce, sha256))
        headers = {signing.HOLDER: self.signer.holder, signing.TIME: str(when), signing.NONCE: nonce,
                   signing.CONTENT_SHA256: sha256, signing.SIGNATURE: signature.hex(),
                   "Content-Type": "application/json" if isinstance(body, bytes) else "application/octet-stream",
                   "Content-Length": str(size)}
        request = urllib.request.Request(self.url + path, data=body if size or method != "GET" else None,
                                         headers=headers, method=method)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            if verdict and e.code == 422:
                return e  # a refused package: the body says why
            try:
                answer = json.loads(e.read())
            except ValueError:
                answer = {}
            raise HubError(e.code, answer.get("error", "hub.error"), answer.get("message", str(e))) from None
        except (urllib.error.URLError, OSError) as e:
            raise HubError(0, "hub.unreachable", f"The hub at {self.url} does not answer: {e}") from None
