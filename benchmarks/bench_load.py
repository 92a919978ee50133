"""Load test of the web system with locust (headless, on 127.0.0.1 only, bounded in users and time).

Staff on the pages they use most (search, a person's record, the hits review queue and a hit, the case list
and a case), a partner agency on the API lookup (signed envelopes), citizens on the public pages: see
benchmarks/load/locustfile.py. Prints p50/p95/p99 and errors per page at each number of users.

The installation is the demo's (``sijill demo --no-serve``: a synthetic registry of 20,000 persons, a run
cycle, hits, findings, cases) on SQLite; with ``--database-url postgresql://...`` the same records are copied
into that (empty) PostgreSQL database first (dumpdata/loaddata), so both databases serve the same data.

    .venv/bin/python benchmarks/bench_load.py [--workdir DIR] [--database-url URL] [--users 10,50,100]
        [--seconds 30] [--workers N]

Every page view writes its audit entry, as in production. The locust clients run on the same machine and share
its cores with the server, so the figures are pessimistic on a small machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_registry import free_port

HERE = Path(__file__).resolve().parent
SIJILL = str(Path(sys.executable).with_name("sijill"))
LOCUST = str(Path(sys.executable).with_name("locust"))


def run(*args: str, env: dict) -> str:
    done = subprocess.run(list(args), env=env, text=True, capture_output=True)
    if done.returncode:
        raise RuntimeError(f"{args[0]} failed: {done.stderr[-3000:]}")
    return done.stdout


def demo_installation(workdir: Path) -> Path:
    """The demo's SQLite installation (made once; kept in ``workdir`` for the next run)."""
    data = workdir / "var"
    if not (data / "sijill.sqlite3").exists():
        t = time.perf_counter()
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        run(SIJILL, "demo", "--no-serve", "--workdir", str(workdir), env=env)
        print(f"demo installation made in {time.perf_counter() - t:.0f} s")
    return data


def environment(data: Path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(SIJILL_DATA_DIR=str(data), SIJILL_ENV="development", DATABASE_URL=database_url, COLUMNS="200")
    return env


def copy_to_postgresql(sqlite_env: dict, pg_env: dict, workdir: Path) -> None:
    """The demo's records into the empty PostgreSQL database (its own migrations first)."""
    dump = workdir / "demo.json"
    t = time.perf_counter()
    if not dump.exists():
        run(SIJILL, "manage", "dumpdata", "--natural-foreign", "--exclude", "contenttypes", "--exclude",
            "auth.permission", "--exclude", "sessions", "--exclude", "admin.logentry", "-o", str(dump), env=sqlite_env)
    run(SIJILL, "manage", "migrate", "--verbosity", "0", env=pg_env)
    run(SIJILL, "manage", "flush", "--no-input", env=pg_env)  # the migrations' own rows come back from the dump
    run(SIJILL, "manage", "loaddata", str(dump), env=pg_env)
    print(f"copied the demo's records into PostgreSQL in {time.perf_counter() - t:.0f} s")


SETUP = r"""
import json, sys
from nacl.signing import SigningKey
from sijill.accounts.demo import create_demo_users
from sijill.accounts.models import User
from sijill.api import envelope, tokens
from sijill.cases.models import Case
from sijill.exchange.models import Hit
from sijill.registry.models import Person

password = "load-" + SigningKey.generate().encode().hex()[:16]
create_demo_users(password)
worker = User.objects.get(username="caseworker")
key = SigningKey.generate()
_, clear = tokens.issue(User.objects.get(username="analyst"), name="load test", sender_id="load-portal",
                        sender_key=key.verify_key.encode().hex(), rate_per_minute=100000, actor="bench")
people = [{"pk": p.pk, "national_id": p.national_id, "name": f"{p.given} {p.father} {p.grandfather}",
           "governorate": p.governorate}
          for p in Person.objects.exclude(national_id=None).exclude(national_id="").exclude(given="")
          .exclude(governorate="").order_by("?")[:2000]]
cases = list(Case.objects.filter(governorate__in=worker.governorate_scope or []).values_list("pk", flat=True)[:500])
hits = list(Hit.objects.values_list("pk", flat=True)[:500])
json.dump({"password": password, "people": people, "cases": cases, "hits": hits, "api_token": clear,
           "api_key": key.encode().hex(), "api_sender": "load-portal", "api_version": envelope.VERSION,
           "api_receiver": envelope.receiver_id()}, open(sys.argv[1], "w"))
"""


def prepare(env: dict, sample: Path) -> dict:
    run(sys.executable, "-c", "from sijill.web.bootstrap import setup; setup(); import sys; exec(sys.argv[2])",
        str(sample), SETUP, env=env)
    return json.loads(sample.read_text())


def serve(env: dict, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([SIJILL, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
                               str(workers), "--no-migrate"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1500):  # a busy machine can take minutes to start the workers
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
            return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


def locust(base: str, users: int, seconds: int, env: dict, out: Path) -> list[dict]:
    done = subprocess.run([LOCUST, "-f", str(HERE / "load" / "locustfile.py"), "--headless", "--users", str(users),
                           "--spawn-rate", str(max(1, users // 5)), "--run-time", f"{seconds}s", "--host", base,
                           "--csv", str(out), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"],
                          env=env, check=False, capture_output=True, text=True, timeout=seconds + 180)
    if not Path(f"{out}_stats.csv").exists():
        raise RuntimeError(f"locust failed: {done.stderr[-3000:]}")
    with open(f"{out}_stats.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "sijill-load")
    parser.add_argument("--database-url", default="", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--users", default="10,50,100")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=0, help="server processes (default: 2 per core + 1)")
    args = parser.parse_args()
    data = demo_installation(args.workdir)
    env = environment(data, f"sqlite:///{data / 'sijill.sqlite3'}")
    label = "SQLite"
    if args.database_url:
        pg_env = environment(data, args.database_url)
        copy_to_postgresql(env, pg_env, args.workdir)
        env, label = pg_env, "PostgreSQL"
    run(SIJILL, "manage", "migrate", "--verbosity", "0", env=env)  # a demo made by an older version
    sample = prepare(env, args.workdir / "load-sample.json")
    env["SIJILL_LOAD_SAMPLE"] = str(args.workdir / "load-sample.json")
    workers = args.workers or 2 * (os.cpu_count() or 1) + 1
    print(f"{label}: {len(sample['people'])} persons, {len(sample['cases'])} cases, {len(sample['hits'])} hits "
          f"sampled; {workers} server processes; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    server, base = serve(env, workers)
    try:
        for users in (int(u) for u in args.users.split(",")):
            rows = locust(base, users, args.seconds, env, args.workdir / f"locust-{label.lower()}-{users}")
            print(f"\n{label}, {users} users, {args.seconds} s:")
            print(f"  {'page':<22} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
                  f"{'req/s':>6}")
            for r in rows:
                print(f"  {r['Name']:<22} {r['Request Count']:>8} {r['Failure Count']:>6} {r['50%']:>7} "
                      f"{r['95%']:>7} {r['99%']:>7} {float(r['Requests/s']):>6.1f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
