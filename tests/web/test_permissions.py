"""Each role sees only what it should: 200 for its pages, 403 for every other (and the refusal is audited)."""

from __future__ import annotations

import pytest
from conftest import make_user
from django.test import Client

from sijill.accounts.roles import Role
from sijill.audit.models import AuditEntry
from sijill.registry.models import DuplicatePair, ImportRun, Person

pytestmark = pytest.mark.django_db

A, AN, CW, FR, AU, AG, HO = (Role.ADMINISTRATOR, Role.ANALYST, Role.CASEWORKER, Role.FIELD_RESEARCHER, Role.AUDITOR,
                             Role.AGENCY_DATA_OFFICER, Role.HOTLINE_OPERATOR)
EVERYONE = {A, AN, CW, FR, AU, AG, HO}

# page -> the roles that may open it (the caseworker works in Baghdad, where REG-1 lives)
PAGES = {
    "/": EVERYONE,
    "/registry/search/": {A, AN, CW, AU},
    "/registry/people/{person}/": {A, AN, CW, AU},
    "/registry/duplicates/": {A, AN, CW},
    "/registry/duplicates/{pair}/": {A, AN, CW},
    "/registry/overview/": {A, AN},
    "/registry/overview/?format=csv": {A, AN},
    "/registry/import/": {A},
    "/registry/import/{run}/": {A},
    "/registry/import/{run}/problems.csv": {A},
    "/audit/": {AU},
    "/audit/export.csv": {AU},
}


@pytest.fixture
def world(people):
    p1, p2 = sorted(Person.objects.filter(record_id__in=["REG-1", "REG-3"]), key=lambda p: p.pk)
    pair = DuplicatePair.objects.create(person_a=p1, person_b=p2, score=0.7, match_class="review", source="test")
    return {"person": p1.pk, "pair": pair.pk, "run": ImportRun.objects.first().pk}


def client_for(role) -> Client:
    from sijill.accounts.models import User

    user = User.objects.filter(username=role).first() or make_user(role, governorates=["بغداد"] if role in (CW, FR)
                                                                   else ())
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_each_role_sees_only_its_pages(world, role):
    client = client_for(role)
    got = {page: client.get(page.format(**world)).status_code for page in PAGES}
    expected = {page: 200 if role in allowed else 403 for page, allowed in PAGES.items()}
    assert got == expected
    denied = sum(1 for status in got.values() if status == 403)
    assert AuditEntry.objects.filter(action="denied", actor=role).count() == denied


def test_anonymous_users_are_sent_to_log_in(world):
    client = Client()
    for page in PAGES:
        response = client.get(page.format(**world))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), page


def test_django_admin_is_for_administrators_only(world):
    admin = make_user(A, "boss", is_staff=True)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/accounts/user/").status_code == 200
    assert "registry" not in client.get("/admin/").content.decode()  # no beneficiary lists in the admin
    for role in EVERYONE - {A}:
        c = client_for(role)
        assert c.get("/admin/").status_code == 302


def test_a_caseworker_cannot_open_a_record_of_another_governorate(world):
    basra = make_user(CW, "basra-worker", governorates=["البصرة"])
    client = Client()
    client.force_login(basra)
    assert client.get(f"/registry/people/{world['person']}/").status_code == 403
    assert client.get(f"/registry/duplicates/{world['pair']}/").status_code == 403
    other = Person.objects.get(record_id="REG-5")
    assert client.get(f"/registry/people/{other.pk}/").status_code == 200
    entry = AuditEntry.objects.filter(action="denied").order_by("seq").first()
    assert entry.actor == "basra-worker" and "REG-1" in entry.details


def test_writing_pages_refuse_other_roles(world):
    for role in EVERYONE - {A}:
        response = client_for(role).post("/registry/import/", {})
        assert response.status_code == 403
    for role in EVERYONE - {A, AN, CW}:
        response = client_for(role).post(f"/registry/duplicates/{world['pair']}/", {"decision": "same"})
        assert response.status_code == 403
    assert DuplicatePair.objects.get().status == "pending"
