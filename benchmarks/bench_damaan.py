"""Damaan figures: the monthly contribution run, a 100,000-row declaration upload, and public certificate
verification under load.

1. Fills a fresh SQLite database with E employed insured workers (in establishments of about 17 workers, each with
   last month's declaration loaded but not yet assessed) and V voluntary subscribers (each with a category), then
   runs the monthly contribution run (`sijill manage damaan_month`, in its own process so that its peak memory is
   its own): V voluntary dues written and every declaration assessed (target <= 60 s for 350,000 + 4,000,000).
2. Uploads a declaration of 100,000 rows (CSV) for one establishment of 100,000 workers through the code the
   upload page calls (target <= 10 s).
3. Serves the database with `sijill serve` and runs C concurrent clients verifying certificate numbers on the
   public page (nine in ten known, one in ten unknown, from many addresses), on kept-alive connections
   (target p95 <= 50 ms at 20 clients). The clients share the machine's cores with the server.

    .venv/bin/python benchmarks/bench_damaan.py [--employed 350000] [--voluntary 4000000] [--clients 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

SIJILL = str(Path(sys.executable).with_name("sijill"))
GOVERNORATES = ["بغداد", "البصرة", "نينوى", "أربيل", "النجف", "كربلاء", "بابل", "ذي قار"]
GIVEN = ["علي", "محمد", "حسين", "زينب", "فاطمة", "مريم", "أحمد", "كرار", "مصطفى", "نور"]


def sijill(*args: str, env: dict) -> str:
    return subprocess.run([SIJILL, *args], env=env, check=True, capture_output=True, text=True).stdout


def _chunks(rows, size=50_000):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def populate(employed: int, voluntary: int, per_establishment: int, month: dt.date) -> None:
    """Bulk rows straight into the tables (the registration path is measured by the tests, not here)."""
    from django.db import connection, transaction

    from sijill.damaan.models import VoluntaryCategory

    now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    categories = list(VoluntaryCategory.objects.order_by("number").values_list("pk", flat=True))
    start = month.replace(year=month.year - 1)

    def insured(first: int, n: int):
        for i in range(first, first + n):
            g = GIVEN[i % len(GIVEN)]
            yield (f"{i:010d}", f"{100000000000 + i}", g, "حسن", "كاظم", "", "زينب", f"{1960 + i % 40}-01-15", "M",
                   GOVERNORATES[i % len(GOVERNORATES)], f"{g} حسن كاظم|زينب", None, None, None, now)

    cols = ("number, national_id, given, father, grandfather, surname, mother, birth_date, sex, governorate, "
            "name_key, user_id, pension_since, pension_iqd, created_at")
    with transaction.atomic(), connection.cursor() as cur:
        for chunk in _chunks(insured(1, employed + voluntary)):
            cur.executemany(f"INSERT INTO damaan_insured ({cols}) VALUES ({', '.join(['%s'] * 15)})", chunk)
        establishments = (employed + per_establishment - 1) // per_establishment
        cur.executemany(
            "INSERT INTO damaan_establishment (number, name, employer, sector, activity, governorate, address, "
            "registration_no, state, officer_note, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(f"E{i:09d}", f"منشأة {i}", f"صاحب عمل {i}", "oil" if i % 20 == 0 else "private", "تجارة",
              GOVERNORATES[i % 8], "—", f"REG-{i}", "approved", "", now) for i in range(1, establishments + 1)])
        cur.execute("SELECT MIN(id) FROM damaan_establishment")
        est0 = cur.fetchone()[0]
        cur.execute("SELECT MIN(id) FROM damaan_insured")
        ins0 = cur.fetchone()[0]
        cur.executemany(
            "INSERT INTO damaan_declaration (establishment_id, month, revision, supersedes_id, \"current\", source, "
            "file_name, submitted_by_id, submitted_at) VALUES (%s, %s, 1, NULL, 1, 'upload', '', NULL, %s)",
            [(est0 + i, month.isoformat(), now) for i in range(establishments)])
        cur.execute("SELECT MIN(id) FROM damaan_declaration")
        dec0 = cur.fetchone()[0]
        wages = [(ins0 + i, est0 + i // per_establishment, 300_000 + (i * 7919) % 2_000_000) for i in range(employed)]
        for chunk in _chunks(wages):
            cur.executemany("INSERT INTO damaan_employment (insured_id, establishment_id, start, \"end\", wage, "
                            "allowances, profession) VALUES (%s, %s, %s, NULL, %s, 0, '')",
                            [(p, e, start.isoformat(), w) for p, e, w in chunk])
            cur.executemany("INSERT INTO damaan_declarationline (declaration_id, insured_id, wage, allowances) "
                            "VALUES (%s, %s, %s, 0)", [(dec0 + (e - est0), p, w) for p, e, w in chunk])
        subs = ((ins0 + employed + i, "عمل حر", start.isoformat(), now) for i in range(voluntary))
        for chunk in _chunks(subs):
            cur.executemany("INSERT INTO damaan_subscription (insured_id, occupation, start, created_at) "
                            "VALUES (%s, %s, %s, %s)", chunk)
        cur.execute("SELECT MIN(id) FROM damaan_subscription")
        sub0 = cur.fetchone()[0]
        terms = ((sub0 + i, categories[i % len(categories)], start.isoformat()) for i in range(voluntary))
        for chunk in _chunks(terms):
            cur.executemany("INSERT INTO damaan_term (subscription_id, category_id, from_month) VALUES (%s, %s, %s)",
                            chunk)


def upload_figures(work: Path, rows: int, month: dt.date) -> dict:
    from django.db import connection, transaction

    from sijill.accounts.models import User
    from sijill.damaan.declarations import upload
    from sijill.damaan.models import Establishment

    now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    rep = User.objects.create_user("bench-rep", role="employer")
    est = Establishment.objects.create(number="E999999999", name="منشأة كبيرة", employer="—", sector="private",
                                       activity="—", governorate="بغداد", address="—", registration_no="BIG",
                                       state="approved")
    est.representatives.add(rep)
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO damaan_insured (number, national_id, given, father, grandfather, surname, mother, "
            "birth_date, sex, governorate, name_key, created_at) VALUES (%s, %s, 'علي', 'حسن', 'كاظم', '', 'زينب', "
            "'1980-01-01', 'M', 'بغداد', 'علي حسن كاظم|زينب', %s)",
            [(f"B{i:09d}", f"{200000000000 + i}", now) for i in range(rows)])
        cur.execute("SELECT id FROM damaan_insured WHERE number = %s", ["B000000000"])
        first = cur.fetchone()[0]
        cur.executemany("INSERT INTO damaan_employment (insured_id, establishment_id, start, \"end\", wage, "
                        "allowances, profession) VALUES (%s, %s, '2020-01-01', NULL, 500000, 0, '')",
                        [(first + i, est.pk) for i in range(rows)])
    path = work / "declaration.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("رقم البطاقة الوطنية,الأجر,المخصصات\n")
        for i in range(rows):
            f.write(f"{200000000000 + i},{400_000 + i % 900_000},{(i % 5) * 10_000}\n")
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        with cProfile.Profile() as profile:
            outcome = upload(rep, est, month, path)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    else:
        outcome = upload(rep, est, month, path)
    seconds = time.perf_counter() - started
    assert outcome.declaration is not None, outcome.problems[:3]
    return {"rows": outcome.lines, "seconds": seconds, "due": outcome.assessment.total}


def certificates(n: int) -> list[str]:
    from sijill.damaan.certificates import new_number
    from sijill.damaan.models import Certificate, Conditions, Establishment

    cond = Conditions.objects.first()
    ests = list(Establishment.objects.order_by("pk")[:n])
    today = dt.date.today()
    made = [Certificate(number=new_number(), establishment=e, issued_on=today,
                        valid_until=today + dt.timedelta(days=29), conditions=cond) for e in ests]
    Certificate.objects.bulk_create(made)
    return [c.number for c in made]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def verify_load(base: str, numbers: list[str], clients: int, requests: int, seed: int) -> dict:
    rng = random.Random(seed)
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    paths = []
    for i in range(requests):
        if rng.random() < 0.9:
            number = rng.choice(numbers)
        else:
            raw = "".join(rng.choice(alphabet) for _ in range(12))
            number = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        paths.append((f"/damaan/verify/{number}/", f"10.{i % 200}.{(i // 200) % 200}.{rng.randrange(1, 250)}"))
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    valid = errors = 0
    lock = threading.Lock()
    cursor = iter(paths)

    def worker() -> None:
        nonlocal valid, errors
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                conn.close()
                return
            path, address = item
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers={"X-Forwarded-For": address})
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                with lock:
                    errors += 1
                continue
            seconds = time.perf_counter() - t
            with lock:
                latencies.append(seconds)
                valid += response.status == 200 and b'class="status succeeded"' in body

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(latencies), "errors": errors, "valid": valid, "per_second": len(latencies) / wall,
            "p50_ms": 1000 * statistics.median(latencies), "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
            "max_ms": 1000 * latencies[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employed", type=int, default=350_000)
    parser.add_argument("--voluntary", type=int, default=4_000_000)
    parser.add_argument("--per-establishment", type=int, default=17)
    parser.add_argument("--upload-rows", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=0, help="server processes (default: one per core)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="keep the database in this folder")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f} (other work on the machine slows "
          f"every figure)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="sijill-bench-damaan-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SIJILL_DATA_DIR": str(work / "data"), "SIJILL_ENV": "development",
           "SIJILL_SECRET_KEY": "bench-" + "k" * 40, "DATABASE_URL": f"sqlite:///{work / 'data' / 'damaan.sqlite3'}"}
    os.environ.update(env)
    sijill("manage", "migrate", "--verbosity", "0", env=env)
    from sijill.web.bootstrap import setup

    setup()
    month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    t = time.perf_counter()
    populate(args.employed, args.voluntary, args.per_establishment, month)
    size = (work / "data" / "damaan.sqlite3").stat().st_size / 1e6
    print(f"filled: {args.employed:,} employed insured in establishments of {args.per_establishment} with "
          f"{month:%Y-%m} declared, and {args.voluntary:,} voluntary subscribers, in {time.perf_counter() - t:.0f} s "
          f"({size:,.0f} MB)")

    from django.db import connections

    connections.close_all()
    t = time.perf_counter()
    out = json.loads(sijill("manage", "damaan_month", "--month", f"{month:%Y-%m}", "--json", env=env)
                     .strip().splitlines()[-1])
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"monthly run: {out['voluntary_dues']:,} voluntary dues written and {out['declarations_assessed']:,} "
          f"declarations ({out['lines_assessed']:,} workers) assessed in {out['seconds']:.1f} s "
          f"({wall:.1f} s with the process start), peak memory {peak:,.0f} MB, load average "
          f"{os.getloadavg()[0]:.1f} (target <= 60 s)")

    up = upload_figures(work, args.upload_rows, month)
    print(f"upload: a declaration of {up['rows']:,} rows read, checked, saved and assessed in {up['seconds']:.1f} s "
          f"({up['rows'] / up['seconds']:,.0f} rows/s; {up['due']:,} IQD due), load average {os.getloadavg()[0]:.1f} "
          f"(target <= 10 s)")

    numbers = certificates(2_000)
    connections.close_all()
    port = free_port()
    workers = args.workers or os.cpu_count() or 1
    server = subprocess.Popen([SIJILL, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
                               str(workers), "--threads", str(args.threads), "--no-migrate"],
                              env={**env, "SIJILL_BEHIND_PROXY": "1"}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        verify_load(base, numbers, args.clients, 200, 1)  # warm the workers
        stats = verify_load(base, numbers, args.clients, args.requests, 2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"verification: {stats['requests']:,} public verifications by {args.clients} concurrent clients on {workers} "
          f"server processes x {args.threads} threads: p50 {stats['p50_ms']:.0f} ms, p95 {stats['p95_ms']:.0f} ms, "
          f"max {stats['max_ms']:.0f} ms, {stats['per_second']:.0f}/s, {stats['valid']:,} valid, "
          f"{stats['errors']} errors, load average {os.getloadavg()[0]:.1f} (target p95 <= 50 ms)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
