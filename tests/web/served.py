"""A real `sijill serve` for the browser tests: Debian's Chromium driven by Playwright against it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SIJILL = str(Path(sys.executable).with_name("sijill"))


def require_browser() -> None:
    """Skip without Chromium or Playwright, except in CI, where the browser tests must run."""
    why = None
    if not Path(CHROMIUM).exists():
        why = f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "the playwright package is not installed (pip install -e '.[dev]')"
    if why and IN_CI:
        pytest.fail(f"CI must run the browser tests, but {why}")
    if why:
        pytest.skip(why)


def server_env(data: Path) -> dict[str, str]:
    """The environment of a served instance with its own data folder (never the developer's database)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(SIJILL_DATA_DIR=str(data), SIJILL_ENV="development", SIJILL_SECRET_KEY="browser-" + "k" * 40)
    return env


def sijill(*args: str, env: dict) -> str:
    return subprocess.run([SIJILL, *args], env=env, check=True, timeout=120, capture_output=True, text=True).stdout


@contextlib.contextmanager
def serving(env: dict) -> Iterator[str]:
    """`sijill serve` on a free port until the block ends; yields its base URL once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([SIJILL, "serve", "--port", str(port), "--workers", "1", "--threads", "4",
                                "--no-migrate"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("sijill serve did not answer within 15 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextlib.contextmanager
def hub_serving(data: Path) -> Iterator[str]:
    """`sijill hub serve` (the linkage hub, its own process and data folder, no key) until the block ends."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIJILL_", "DATABASE_URL", "DJANGO_"))}
    process = subprocess.Popen([SIJILL, "hub", "serve", "--data", str(data), "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("sijill hub serve did not answer within 15 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
