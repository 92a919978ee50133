"""The audit trail: append-only, hash-chained, checked by `sijill audit verify`, browsed by auditors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_user
from django.db import DatabaseError, connections, transaction
from django.test import Client
from typer.testing import CliRunner

from sijill.audit.models import AppendOnlyError, AuditEntry
from sijill.audit.trail import record, verify
from sijill.cli import app
from sijill.registry.models import DuplicatePair, Person

pytestmark = pytest.mark.django_db(databases="__all__")


def _write(n: int) -> list[AuditEntry]:
    return [record("search", actor=f"clerk{i}", query={"name": "محمد علي", "governorate": "بغداد"}, found=i)
            for i in range(n)]


def _behind_the_trail(alias: str, sql: str, params=()) -> None:
    """What someone with the database's own credentials could do: switch the triggers off, then write."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_entry_no_update")
            cursor.execute("DROP TRIGGER audit_entry_no_delete")
        else:
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)


def test_an_untouched_chain_verifies(backend):
    entries = _write(5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[1].prev_hash == entries[0].hash
    result = verify()
    assert result.ok and result.entries == 5 and result.head_hash == entries[-1].hash


# how the trail is tampered with -> the entry verify names, and what it says
TAMPERING = [
    ("UPDATE audit_auditentry SET details = %s WHERE seq = 3", ['{"found":0}'], 3, "content was changed"),
    ("UPDATE audit_auditentry SET actor = %s WHERE seq = 2", ["someone else"], 2, "content was changed"),
    ("DELETE FROM audit_auditentry WHERE seq = 4", [], 4, "entry #4 is missing"),
    ("DELETE FROM audit_auditentry WHERE seq >= 5", [], 5, "entries after #4 were removed"),
    ("UPDATE audit_auditentry SET prev_hash = %s WHERE seq = 2", ["0" * 64], 2, "hash of the entry before"),
]


@pytest.mark.parametrize(("sql", "params", "broken", "reason"), TAMPERING, ids=[t[3] for t in TAMPERING])
def test_tampering_is_found_and_named(backend, sql, params, broken, reason):
    _write(6)
    _behind_the_trail(backend, sql, params)
    result = verify()
    assert not result.ok and result.broken_seq == broken and reason in result.reason


def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link(backend):
    from sijill.audit.trail import entry_hash

    _write(4)
    forged = AuditEntry.objects.get(seq=2)
    forged.actor = "nobody"
    new_hash = entry_hash(forged)
    _behind_the_trail(backend, "UPDATE audit_auditentry SET actor = %s, hash = %s WHERE seq = 2", ["nobody", new_hash])
    result = verify()
    assert (result.ok, result.broken_seq) == (False, 3)


def test_the_application_cannot_change_or_remove_entries(backend):
    entry = _write(1)[0]
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(seq=1).update(actor="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


def test_the_database_refuses_changes_too(backend):
    _write(1)
    for sql in ("UPDATE audit_auditentry SET actor = 'x'", "DELETE FROM audit_auditentry"):
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using=backend),
              connections[backend].cursor() as cursor):
            cursor.execute(sql)
    assert verify().ok


def test_cli_verify_names_the_broken_entry():
    _write(3)
    ok = CliRunner().invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    _behind_the_trail("default", "UPDATE audit_auditentry SET details = '{}' WHERE seq = 2")
    broken = CliRunner().invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "entry #2" in broken.output


def _login(client: Client, username: str, password: str):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_every_login_search_view_export_and_decision_is_in_the_trail(people):
    make_user("analyst", "ali")
    make_user("auditor", "amal")
    client = Client()
    assert _login(client, "ali", "wrong").status_code == 200
    assert _login(client, "ali", "pw-analyst").status_code == 302
    found = client.post("/registry/search/", {"national_id": "١٩٨٥٠٣٠٢١٢٣٤"})  # Arabic-Indic digits
    assert 'class="result"' in found.content.decode()
    person = Person.objects.get(record_id="REG-1")
    assert client.get(f"/registry/people/{person.pk}/").status_code == 200
    assert client.get("/registry/overview/?format=csv").status_code == 200
    other = Person.objects.get(record_id="REG-3")
    pair = DuplicatePair.objects.create(person_a=person, person_b=other, source="test")
    assert client.get(f"/registry/duplicates/{pair.pk}/").status_code == 200
    decided = client.post(f"/registry/duplicates/{pair.pk}/", {"decision": "different", "note": "أب وابنه"})
    assert decided.status_code == 302
    client.post("/accounts/logout/")
    actions = list(AuditEntry.objects.filter(actor="ali").order_by("seq").values_list("action", flat=True))
    assert actions == ["login_failed", "login", "search", "view_person", "export", "view_person", "decision",
                       "logout"]
    search = AuditEntry.objects.get(actor="ali", action="search")
    assert search.details_dict["query"] == {"national_id": "198503021234"} and search.details_dict["found"] == 1
    assert AuditEntry.objects.get(actor="ali", action="view_person", target_type="person").target_id == "REG-1"

    auditor = Client()
    _login(auditor, "amal", "pw-auditor")
    page = auditor.get("/audit/", {"actor": "ali"}).content.decode()
    assert len(re.findall(r'<tr class="entry">', page)) == len(actions)
    assert "REG-1" in page
    only_views = auditor.get("/audit/", {"action": "view_person", "target": "REG-1"}).content.decode()
    assert len(re.findall(r'<tr class="entry">', only_views)) == 2  # the record, and the pair that shows it
    checked = auditor.post("/audit/verify/").content.decode()
    assert "verification ok" in checked


def test_processes_writing_at_once_keep_one_chain(tmp_path):
    """Three processes append 60 entries each to one SQLite file: one chain, no entry lost."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(SIJILL_DATA_DIR=str(tmp_path), SIJILL_SECRET_KEY="chain-" + "k" * 40)
    sijill = str(Path(sys.executable).with_name("sijill"))
    subprocess.run([sijill, "manage", "migrate", "-v", "0"], env=env, check=True, timeout=120)
    code = ("import threading; from sijill.audit.trail import record\n"
            "def write(t):\n    for i in range(20): record('search', actor=f'p{t}', found=i)\n"
            "ts = [threading.Thread(target=write, args=(t,)) for t in range(3)]\n"
            "[t.start() for t in ts]; [t.join() for t in ts]")
    writers = [subprocess.Popen([sijill, "manage", "shell", "-c", code], env=env) for _ in range(3)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0]
    result = subprocess.run([sijill, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "180 entries" in result.stdout.replace("\n", " "), result.stdout


def test_a_user_running_many_searches_raises_one_alert_for_the_auditor(people, settings, tmp_path):
    """The probe: a user ran hundreds of searches and nothing noticed. The thresholds are data."""
    rules = tmp_path / "alerts.csv"
    rules.write_text("action,window_minutes,threshold,why\nsearch,60,5,test threshold\n", encoding="utf-8")
    settings.AUDIT_ALERT_RULES = str(rules)
    trawler = Client()
    trawler.force_login(make_user("analyst", "ali"))
    colleague = Client()
    colleague.force_login(make_user("analyst", "huda"))
    for i in range(5):
        trawler.post("/registry/search/", {"national_id": f"19850302{i:04d}"})
        colleague.post("/registry/search/", {"national_id": "198503021234"})
    assert not AuditEntry.objects.filter(action="alert").exists()  # at the threshold: no alert yet
    for i in range(10):
        trawler.post("/registry/search/", {"national_id": f"19900715{i:04d}"})
    alert = AuditEntry.objects.get(action="alert")  # one, however long the trawl goes on
    assert (alert.actor, alert.target_id, alert.details_dict["count"]) == ("sijill", "ali", 6)
    auditor = Client()
    auditor.force_login(make_user("auditor", "amal"))
    page = auditor.get("/audit/").content.decode()
    section = page.split('class="alerts"')[1].split("</section>")[0]
    assert "ali" in section and "6 × «بحث» خلال 60 دقيقة (الحد 5)" in section
    assert verify().ok


def test_the_shipped_alert_thresholds_name_audit_actions():
    from sijill.audit import alerts

    shipped = alerts._load(str(alerts.DEFAULT_RULES))
    assert {"search", "view_person", "export"} <= set(shipped)
    assert all(r.threshold > 0 and r.window.total_seconds() > 0 and r.why for r in shipped.values())
