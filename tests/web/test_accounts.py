"""Passwords, logins and sessions: Argon2, throttling, CSRF everywhere, demo users per role."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from conftest import make_user
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from sijill.accounts.demo import DEMO_USERS
from sijill.accounts.models import User
from sijill.accounts.roles import Role, matrix
from sijill.audit.models import AuditEntry
from sijill.web import settings as project_settings

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2():
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = Argon2PasswordHasher().encode("a long passphrase", Argon2PasswordHasher().salt())
    assert encoded.startswith("argon2$argon2id$") and Argon2PasswordHasher().verify("a long passphrase", encoded)


def _try(client: Client, username: str, password: str, ip: str = "10.0.0.7", path: str = "/accounts/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _expire_lockouts() -> None:
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))


def test_logins_are_refused_after_too_many_failures(settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("analyst", "ali")
    client = Client()
    assert [_try(client, "ali", "guess").status_code for _ in range(3)] == [200, 200, 429]
    refused = _try(client, "ali", "pw-analyst")
    assert refused.status_code == 429 and not _logged_in(client)
    with translation.override("ar"):
        arabic = _try(Client(HTTP_ACCEPT_LANGUAGE="ar"), "ali", "pw-analyst").content.decode()
    assert "محاولات دخول فاشلة كثيرة. حاول مجدداً بعد 15 دقيقة." in arabic
    assert AuditEntry.objects.filter(action="login_blocked", actor="ali").count() == 3
    _expire_lockouts()
    assert _try(client, "ali", "pw-analyst").status_code == 302  # the lock ends with the window


def test_the_lockout_covers_the_administration_login(settings):
    """The probe: locked out at /accounts/login/, an administrator logged in at /admin/login/."""
    settings.LOGIN_MAX_FAILURES = 5
    make_user("administrator", "boss", is_staff=True, is_superuser=True)
    for _ in range(5):
        _try(Client(), "boss", "guess")
    admin_client = Client()
    refused = _try(admin_client, "boss", "pw-administrator", path="/admin/login/")
    assert refused.status_code == 429 and not _logged_in(admin_client)
    assert "Too many failed logins" in refused.content.decode() or "محاولات" in refused.content.decode()
    assert admin_client.get("/admin/").status_code == 302  # back to the login page
    entry = AuditEntry.objects.filter(action="login_blocked", actor="boss").first()
    assert entry.details_dict["path"] == "/admin/login/"


def test_guessing_at_the_administration_login_locks_the_site_login_too(settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("administrator", "boss", is_staff=True, is_superuser=True)
    for _ in range(3):
        _try(Client(), "boss", "guess", path="/admin/login/")
    client = Client()
    assert _try(client, "boss", "pw-administrator").status_code == 429 and not _logged_in(client)
    assert AuditEntry.objects.filter(action="login_failed", actor="boss").count() >= 3


def test_a_good_login_clears_a_users_earlier_failures(settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("analyst", "ali")
    client = Client()
    for _ in range(2):
        _try(client, "ali", "guess")
    assert _try(client, "ali", "pw-analyst").status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        assert _try(client, "ali", "guess").status_code == 200


def test_one_address_guessing_many_names_is_refused(settings):
    settings.LOGIN_MAX_FAILURES = 2
    make_user("analyst", "ali")
    client = Client()
    for i in range(8):
        _try(client, f"user{i}", "guess", ip="10.9.9.9")
    assert _try(client, "ali", "pw-analyst", ip="10.9.9.9").status_code == 429
    assert _try(client, "ali", "pw-analyst", ip="10.1.1.1").status_code == 302


def test_an_office_gateway_is_allowed_more_failures_than_one_name(settings):
    settings.LOGIN_MAX_FAILURES = 2
    make_user("analyst", "ali")
    for i in range(7):  # seven colleagues behind one gateway mistype once each: fewer than 2 x 4
        _try(Client(), f"user{i}", "guess", ip="10.9.9.9")
    assert _try(Client(), "ali", "pw-analyst", ip="10.9.9.9").status_code == 302


def test_every_form_needs_its_csrf_token():
    make_user("analyst", "ali")
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"username": "ali", "password": "pw-analyst"}).status_code == 403
    client.force_login(User.objects.get(username="ali"))
    assert client.post("/registry/search/", {"national_id": "198503021234"}).status_code == 403
    assert client.post("/accounts/logout/").status_code == 403


def test_session_cookies_are_not_readable_by_scripts():
    make_user("analyst", "ali")
    client = Client()
    client.post("/accounts/login/", {"username": "ali", "password": "pw-analyst"})
    cookie = client.cookies["sijill_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert project_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and project_settings.SESSION_COOKIE_AGE <= 12 * 3600


def test_demo_users_one_per_role(capsys):
    call_command("demo_users")
    out = capsys.readouterr().out.splitlines()[1:]
    assert {line.split()[2] for line in out} == set(Role.values)
    for line in out:
        username, password = line.split()[:2]
        assert _try(Client(), username, password).status_code == 302, username
    assert User.objects.get(username="caseworker").governorate_scope == DEMO_USERS[2][2]
    call_command("demo_users", password="same-for-all-123")
    assert _try(Client(), "auditor", "same-for-all-123").status_code == 302
    assert User.objects.count() == len(Role.values)


def test_the_capability_matrix_names_only_known_roles():
    table = matrix()
    assert table["browse_audit"] == {Role.AUDITOR}
    assert table["upload_packages"] == {Role.AGENCY_DATA_OFFICER}
    assert table["record_tips"] == {Role.HOTLINE_OPERATOR}
    assert table["do_visits"] == {Role.FIELD_RESEARCHER}
    registry_pages = {"search_people", "view_person", "import_registry", "review_duplicates", "view_overview"}
    for role in (Role.FIELD_RESEARCHER, Role.AGENCY_DATA_OFFICER, Role.HOTLINE_OPERATOR):
        assert not any(role in table[c] for c in registry_pages), role


def test_the_admin_never_shows_a_password_hash():
    admin = make_user("administrator", "boss", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    page = client.get(f"/admin/accounts/user/{admin.pk}/change/").content.decode()
    assert admin.password not in page and 'name="governorates"' in page


def test_an_administrator_gives_a_caseworker_their_governorates():
    admin = make_user("administrator", "boss", is_staff=True, is_superuser=True)
    worker = make_user("caseworker", "sara")
    client = Client()
    client.force_login(admin)
    response = client.post(f"/admin/accounts/user/{worker.pk}/change/", {
        "username": "sara", "role": "caseworker", "governorates": ["بغداد", "البصرة"], "agency": "",
        "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    worker.refresh_from_db()
    assert worker.governorates == ["بغداد", "البصرة"] and worker.check_password("pw-caseworker")
    entry = AuditEntry.objects.get(action="admin_change")
    assert entry.actor == "boss" and entry.target_id == "sara" and "governorates" in entry.details


@pytest.mark.parametrize(("password", "accepted", "why"), [
    ("aaaaaaaaaaaa", False, "the probe's password: twelve letters, one repeated"),
    ("123456789012", False, "digits only"),
    ("qwertyuiopas", False, "a keyboard row"),
    ("Baghdad@2024", False, "a city and a year"),
    ("zainab123456", False, "her own name and a run of digits"),
    ("sijill-sijill-1", False, "the system's own name"),
    ("P@ssw0rd12345", False, "a common password in l33t"),
    ("نخلة-دجلة-٧٣-قلم-ورق", True, "an Arabic passphrase"),
    ("amber tractor violin 93", True, "four random words"),
])
def test_weak_passwords_are_refused(password, accepted, why):
    user = User(username="newclerk", first_name="Zainab")
    try:
        validate_password(password, user)
        ok = True
    except ValidationError:
        ok = False
    assert ok is accepted, why


def test_an_administrator_cannot_give_a_new_user_a_weak_password():
    admin = make_user("administrator", "boss", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    form = {"username": "newclerk", "role": "analyst", "usable_password": "true"}
    weak = client.post("/admin/accounts/user/add/", {**form, "password1": "aaaaaaaaaaaa", "password2": "aaaaaaaaaaaa"})
    assert weak.status_code == 200 and not User.objects.filter(username="newclerk").exists()
    assert "errorlist" in weak.content.decode()
    strong = "amber tractor violin 93"
    added = client.post("/admin/accounts/user/add/", {**form, "password1": strong, "password2": strong})
    assert added.status_code == 302
    assert User.objects.get(username="newclerk").check_password(strong)


def test_an_administrator_setting_another_users_password_is_in_the_trail():
    admin = make_user("administrator", "boss", is_staff=True, is_superuser=True)
    clerk = make_user("caseworker", "sara")
    client = Client()
    client.force_login(admin)
    new = "amber tractor violin 93"
    response = client.post(f"/admin/accounts/user/{clerk.pk}/password/",
                           {"usable_password": "true", "password1": new, "password2": new})
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password(new)
    entry = AuditEntry.objects.get(action="password_reset")
    assert (entry.actor, entry.target_id, entry.details_dict["own"]) == ("boss", "sara", False)
    assert new not in entry.details
