"""Registry figures: importing persons (rows/s) and searching them under concurrent load (p50/p95).

1. Writes a synthetic registry members file (the columns and Arabic headers of a ministry export,
   with clerks' mess: hamza forms, tatweel, Arabic-Indic digits, several date formats) of N persons
   in households of 1-9, and imports it with `sijill import registry FILE --schema members`'s code
   into a fresh SQLite database (target >= 20,000 rows/s).
2. Serves that database with `sijill serve` (gunicorn) on loopback and runs C concurrent clients, each
   logged in as an analyst on its own kept-alive connection, sending the searches a clerk would send (as
   the page does, htmx POSTs): half by national ID (some in Arabic-Indic digits), half by a name chain
   plus a birth year or a governorate (target p95 <= 150 ms). Every search is written to the audit
   trail, as in production. The clients run on the same machine and share its cores with the server.

    .venv/bin/python benchmarks/bench_registry.py [--persons 1000000] [--clients 20] [--requests 4000]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from sijill.identity import lexicon

HEADER = ["رقم السجل", "الاسم", "اسم الاب", "اسم الجد", "اللقب", "اسم الام", "تاريخ الميلاد",
          "رقم البطاقة الوطنية", "المحافظة", "الجنس", "رقم الأسرة", "صلة القرابة", "إعاقة"]
MESS = [
    lambda s: s,
    lambda s: s,
    lambda s: s.replace("ا", "أ", 1),
    lambda s: s[:1] + "ـ" + s[1:],
    lambda s: s.replace("ي", "ی"),
]
INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
RELATIONS = ["رب الأسرة", "زوجة", "ابن", "ابنة", "ابن", "ابنة", "أم", "أخ", "أخت"]


def _names() -> tuple[list[str], list[str], list[float]]:
    arabic = sorted({a for a in lexicon.latin_names().values() if not a.startswith("ال") and " " not in a})
    surnames = sorted({a for a in lexicon.latin_names().values() if a.startswith("ال")}) or ["الجبوري"]
    weights = [1 / (rank + 1) for rank in range(len(arabic))]
    return arabic, surnames, weights


def make_members(path: Path, n: int, seed: int) -> list[dict]:
    """Write N member rows; return a sample of clean (searchable) persons for the load test."""
    rng = random.Random(seed)
    arabic, surnames, weights = _names()
    rng.shuffle(arabic)
    govs = [(r["name"], int(r["population_2018"])) for r in lexicon.governorate_rows()]
    gov_names, gov_weights = [g for g, _ in govs], [p for _, p in govs]
    sample: list[dict] = []
    pool = rng.choices(arabic, weights, k=min(n * 4, 4_000_000))
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        i, hh = 0, 0
        while i < n:
            hh += 1
            size = min(n - i, rng.randint(1, 9))
            gov = rng.choices(gov_names, gov_weights)[0]
            surname = rng.choice(surnames) if rng.random() < 0.7 else ""
            father, grandfather = pool[(4 * i) % len(pool)], pool[(4 * i + 1) % len(pool)]
            for k in range(size):
                given = pool[(4 * (i + k) + 2) % len(pool)]
                mother = f"{pool[(4 * (i + k) + 3) % len(pool)]} {rng.choice(arabic)}"
                y, m, d = rng.randint(1940, 2020), rng.randint(1, 12), rng.randint(1, 28)
                date = rng.choice([f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{d}-{m}-{y}"])
                nid = str(rng.randint(10**11, 10**12 - 1))
                shown = nid.translate(INDIC) if rng.random() < 0.1 else nid
                parts = [rng.choice(MESS)(x) for x in (given, father, grandfather)]
                w.writerow([f"REG-{i + k + 1:08d}", *parts, surname, mother, date, shown, gov,
                            rng.choice(["ذكر", "أنثى"]), f"HH-{hh:08d}", RELATIONS[k] if k < 9 else "أخرى",
                            "نعم" if rng.random() < 0.03 else "لا"])
                if len(sample) < 5000 and rng.random() < 0.01:
                    sample.append({"national_id": nid, "name": f"{given} {father} {grandfather}",
                                   "birth_year": str(y), "governorate": gov})
            i += size
    return sample


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sijill(*args: str, env: dict, **kw) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("sijill")
    return subprocess.run([str(exe), *args], env=env, check=True, text=True, capture_output=True, **kw)


class Client:
    """A logged-in browser session, without a browser: one kept-alive connection, its cookies and CSRF token."""

    def __init__(self, base: str, username: str, password: str):
        parts = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.cookies: dict[str, str] = {}
        page = self._send("GET", "/accounts/login/")[2].decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        status, _, _ = self._send("POST", "/accounts/login/", {"username": username, "password": password,
                                                               "csrfmiddlewaretoken": token})
        if status != 302:
            raise RuntimeError(f"could not log in as {username} (HTTP {status})")

    def _send(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):  # the server closed an idle connection: open another
            self.connection.close()
            start = time.perf_counter()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        seconds = time.perf_counter() - start
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, seconds, data

    def post(self, path: str, params: dict) -> tuple[int, float, bytes]:
        """A search as the page sends it (htmx): POST with the CSRF token, no personal data in the URL."""
        return self._send("POST", path, params, {"X-CSRFToken": self.cookies["sijill_csrftoken"],
                                                 "HX-Request": "true"})


def load(base: str, password: str, sample: list[dict], clients: int, requests: int, seed: int) -> dict:
    rng = random.Random(seed)
    queries = []
    for _ in range(requests):
        p = rng.choice(sample)
        kind = rng.random()
        if kind < 0.5:
            nid = p["national_id"] if rng.random() < 0.8 else p["national_id"].translate(INDIC)
            queries.append({"national_id": nid})
        elif kind < 0.75:
            queries.append({"name": p["name"], "birth_year": p["birth_year"]})
        else:
            queries.append({"name": p["name"], "governorate": p["governorate"]})
    sessions = [Client(base, "analyst", password) for _ in range(clients)]
    latencies: list[float] = []
    found = errors = 0
    lock = threading.Lock()
    cursor = iter(queries)

    def worker(client: Client) -> None:
        nonlocal found, errors
        while True:
            with lock:
                q = next(cursor, None)
            if q is None:
                return
            try:
                status, seconds, body = client.post("/registry/search/", q)
            except Exception:  # a failed request is counted, not fatal
                with lock:
                    errors += 1
                continue
            with lock:
                latencies.append(seconds)
                found += status == 200 and b'class="result"' in body

    started, cpu = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=worker, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    latencies.sort()
    return {"requests": len(latencies), "errors": errors, "found": found, "seconds": wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
            "max_ms": 1000 * latencies[-1], "per_second": len(latencies) / wall,
            "client_cpu_ms": 1000 * cpu / max(1, len(latencies))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=0, help="server processes (default: one per core)")
    parser.add_argument("--threads", type=int, default=8, help="threads per server process")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the database and file in this folder")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f} (other work on the machine "
          f"slows every figure)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="sijill-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SIJILL_DATA_DIR": str(work / "data"), "SIJILL_ENV": "development"}
    env.pop("DATABASE_URL", None)
    members = work / "members.csv"
    t = time.perf_counter()
    sample = make_members(members, args.persons, args.seed)
    print(f"wrote {args.persons:,} persons to {members} ({members.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - t:.1f} s")
    sijill("manage", "migrate", "--verbosity", "0", env=env)
    out = sijill("import", "registry", str(members), "--schema", "members", "--json", env=env)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    rate = report["rows_read"] / report["seconds"]
    print(f"import: {report['rows_read']:,} rows in {report['seconds']:.1f} s = {rate:,.0f} rows/s "
          f"(created {report['created']:,}, rejected {report['rejected']:,}; target >= 20,000 rows/s)")

    password = "bench-" + os.urandom(6).hex()
    sijill("manage", "demo_users", "--password", password, env=env)
    port = free_port()
    workers = args.workers or os.cpu_count() or 1
    server = subprocess.Popen([str(Path(sys.executable).with_name("sijill")), "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--workers", str(workers), "--threads", str(args.threads),
                               "--no-migrate"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        load(base, password, sample, args.clients, 100, args.seed + 1)  # warm the workers
        stats = load(base, password, sample, args.clients, args.requests, args.seed)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"search: {stats['requests']:,} searches by {args.clients} concurrent clients on {workers} server "
          f"processes x {args.threads} threads ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}): "
          f"p50 {stats['p50_ms']:.0f} ms, p95 {stats['p95_ms']:.0f} ms, max {stats['max_ms']:.0f} ms, "
          f"{stats['per_second']:.0f} searches/s, {stats['found']:,} found, {stats['errors']} errors; the clients "
          f"used {stats['client_cpu_ms']:.1f} ms of CPU per search "
          f"(target p95 <= 150 ms)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
