"""Arabic (right to left) by default whatever the browser asks for; English on request; compiled catalogues."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from conftest import make_user
from django.test import Client

SRC = Path(__file__).resolve().parents[2] / "src" / "sijill"
# Every app keeps its own catalogue (src/sijill/<app>/locale/); web/ holds the shared messages.
CATALOGUES = sorted(SRC.glob("*/locale/*/LC_MESSAGES/django.po"))

pytestmark = pytest.mark.django_db


def _po(path: Path) -> dict[str, list[str]]:
    """msgid -> msgstr forms, read from a .po file (enough of the format for our catalogues)."""
    entries: dict[str, list[str]] = {}
    msgid, strs, key = None, [], None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if m := re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line):
            key, text = m[1], ast.literal_eval(m[2])
            if key == "msgid":
                if msgid:
                    entries[msgid] = strs
                msgid, strs = text, []
            elif key.startswith("msgstr"):
                strs.append(text)
        elif line.startswith('"') and key:
            text = ast.literal_eval(line)
            if key == "msgid":
                msgid += text
            elif key.startswith("msgstr"):
                strs[-1] += text
    if msgid:
        entries[msgid] = strs
    return entries


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(SRC)))
def test_compiled_catalogues_match_their_sources(po):
    source = _po(po)
    with open(po.with_suffix(".mo"), "rb") as f:
        compiled = gettext.GNUTranslations(f)
    catalog = compiled._catalog  # msgid -> text; (msgid, i) -> plural form i
    stale = [m for m, forms in source.items() if m and any(forms) and (
        [catalog.get((m, i)) for i in range(len(forms))] if len(forms) > 1 else [catalog.get(m)]) != forms]
    assert not stale, f"recompile {po.with_suffix('.mo')} (msgfmt -o django.mo django.po): {stale[:3]}"


@pytest.mark.parametrize("po", [p for p in CATALOGUES if p.parts[-3] == "ar"], ids=lambda p: str(p.relative_to(SRC)))
def test_every_message_has_its_arabic_translation(po):
    missing = [m for m, forms in _po(po).items() if not all(forms)]
    assert not missing, missing[:5]


def test_arabic_and_right_to_left_by_default_even_for_an_english_browser():
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "تسجيل الدخول" in page and 'name="viewport"' in page


def test_english_on_request_and_left_to_right():
    client = Client()
    client.force_login(make_user("analyst"))
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/registry/search/"})
    assert response.status_code == 302
    page = client.get("/registry/search/").content.decode()
    assert '<html lang="en" dir="ltr">' in page and "Search the registry" in page
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert '<html lang="ar" dir="rtl">' in client.get("/registry/search/").content.decode()


def test_every_asset_is_served_by_the_application():
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    for asset in (s for s in sources if s.startswith("/static/")):
        assert client.get(asset).status_code == 200, asset
