"""The electronic ration card: import with row reports, the blind national-ID linkage and the dead-and-emigrated
cycle with Interior, due process on blocks, the self-update portal, agent licensing, and who sees what."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_user
from django.core.files.base import ContentFile
from django.test import Client
from rich.console import Console

from sijill.ration import agents, blocking, requests
from sijill.ration.importing import import_cards, import_network
from sijill.ration.models import (
    Agent,
    Block,
    BlockState,
    Card,
    CardEvent,
    ChangeRequest,
    ClerkPost,
    LinkState,
    Member,
    MemberStatus,
)
from sijill.synth.ration import generate_ration_world

pytestmark = pytest.mark.django_db
PERSONS = 1500


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("ration-world")
    generate_ration_world(path, PERSONS, 11)
    return path


@pytest.fixture
def imported(world):
    import_network(world / "ration/centres.csv", world / "ration/agents.csv")
    import_cards(world / "ration/cards.csv")
    return world


def test_the_world_lists_the_dead_and_a_few_persons_on_two_cards(world):
    import csv

    with open(world / "truth/ration_members.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    assert any(r["dead"] == "true" for r in truth)
    assert sum(r["second_card"] == "true" for r in truth) >= 1
    assert (world / "ration/cards.csv").read_bytes().decode("cp1256")  # Windows-1256, as the centres export it


def test_import_is_idempotent_and_reports_bad_rows_by_file_row_and_field(imported, tmp_path):
    members = Member.objects.count()
    again = import_cards(imported / "ration/cards.csv")
    assert (again.created, again.unchanged) == (0, members)
    bad = tmp_path / "bad.csv"
    bad.write_text("رقم السجل,رقم البطاقة,رمز المركز,رقم الوكيل,الاسم,رقم البطاقة الوطنية,تاريخ الميلاد\n"
                   "X-1,9000001,C0101,A010101,علي,123,1990-01-01\n"       # bad ID: kept, reported
                   "X-2,9000001,C0101,A010101,,,1990-01-01\n"             # no name: rejected
                   "X-3,9000001,C9999,A010101,حسن,,٢٠٠١-٠٢-٠٣\n"           # unknown centre: rejected
                   "X-4,9000001,C0101,A010101,زينب,,٢٠٠١-٠٢-٠٣\n", encoding="utf-8")
    report = import_cards(bad)
    assert (report.created, report.rejected) == (2, 2)
    where = {(p.row, p.field) for p in report.problems}
    assert {(2, "رقم البطاقة الوطنية"), (3, "الاسم"), (4, "رمز المركز")} <= where
    assert Member.objects.get(record_id="X-4").birth_date == "2001-02-03"  # Arabic-Indic digits read


def test_a_person_with_one_national_id_on_two_cards_is_flagged_never_merged(imported, tmp_path):
    m = Member.objects.exclude(national_id="").first()
    other = Card.objects.exclude(pk=m.card_id).first()
    f = tmp_path / "dup.csv"
    f.write_text("record_id,card_no,centre,agent,given_name,national_id\n"
                 f"D-1,{other.number},{other.centre.code},{other.agent.number},{m.given},{m.national_id}\n",
                 encoding="utf-8")
    assert import_cards(f).flagged_two_cards == 1
    assert Member.objects.get(record_id="D-1").also_on == m.card.number
    assert Member.objects.filter(national_id=m.national_id).count() == 2


@pytest.fixture
def story(world, tmp_path, settings, monkeypatch, hub):
    """The demo's ration story on a small world: every step through the real services."""
    from sijill.demo import ration
    from sijill.exchange import runs

    # the test's transaction holds SQLite's write lock: the run beats only from its own thread (as in the
    # exchange's tests)
    monkeypatch.setattr(runs, "HEARTBEAT_SECONDS", 3600)
    settings.DATA_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    return ration.run_ration(tmp_path, Console(quiet=True), PERSONS, 11, inline=True, on_cycle_open=hub.trust_registry)


def test_the_blind_cycles_link_members_and_block_the_dead_with_due_process(story):
    assert story["linked"] > 0.7 * story["members"]
    assert story["linkage_precision"] >= 0.98 and story["linkage_recall"] >= 0.9
    assert story["blocked"] > 0 and story["reinstated"] == 1
    assert story["requests"] == 1 and story["agents_licensed_online"] == 1
    assert Member.objects.count() == story["members"]  # nobody deleted: blocked members stay on their cards
    lifted = Block.objects.get(state=BlockState.LIFTED)
    assert lifted.months_restored == 2  # blocked from May, lifted in June
    assert lifted.member.status == MemberStatus.ACTIVE
    assert lifted.decided_by not in (lifted.verified_by, lifted.blocked_by)
    kinds = set(CardEvent.objects.filter(member=lifted.member).values_list("kind", flat=True))
    assert {"block_proposed", "block_notified", "share_blocked", "block_contested", "share_restored"} <= kinds
    for state in (LinkState.LINKED, LinkState.NOT_FOUND):
        assert Member.objects.filter(link_state=state).exists()


def _block(member, verifier=None):
    return Block.objects.create(member=member, source="deaths", rule="death", match_class="exact",
                                proposed_at=dt.datetime.now(dt.UTC), evidence={"تاريخ الوفاة": "2024-01-01"})


def test_due_process_order_and_people(imported):
    clerk, other, planner = make_user("ration_clerk"), make_user("ration_clerk", "c2"), make_user("ration_planner")
    member = Member.objects.first()
    block = _block(member)
    with pytest.raises(blocking.DueProcessError):
        blocking.apply_block(block, planner, on=dt.date(2025, 3, 1))  # not verified
    blocking.verify(block, clerk, confirmed=True, on=dt.date(2025, 3, 1))
    assert member.card.events.filter(kind="block_notified").exists()
    with pytest.raises(blocking.DueProcessError, match="may respond"):
        blocking.apply_block(block, planner, on=dt.date(2025, 3, 20))
    with pytest.raises(blocking.DueProcessError, match="verified"):
        blocking.apply_block(block, clerk, on=dt.date(2025, 4, 5))
    assert Member.objects.get(pk=member.pk).status == MemberStatus.ACTIVE  # the share runs during the period
    blocking.apply_block(block, planner, on=dt.date(2025, 4, 5))
    assert Member.objects.get(pk=member.pk).status == MemberStatus.BLOCKED
    blocking.contest(block, "he is alive", on=dt.date(2025, 7, 1))
    with pytest.raises(blocking.DueProcessError):
        blocking.decide_contest(block, planner, lift=True, reason="x")  # the one who applied it
    blocking.decide_contest(block, other, lift=True, reason="seen in person", on=dt.date(2025, 7, 2))
    assert block.months_restored == 3  # May, June, July


def test_nothing_changes_before_the_clerk_decides_and_a_refusal_is_explained(imported, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    card = Card.objects.filter(members__relation="head").first()
    before = card.members.count()
    req = requests.submit(card, "newborn", {"given": "علي", "birth_date": "2025-01-02", "sex": "M"},
                          document=ContentFile(b"png", name="b.png"))
    assert card.members.count() == before
    with pytest.raises(requests.RequestError):
        requests.decide(req, make_user("ration_clerk"), approve=False, reason=" ")
    requests.decide(req, make_user("ration_clerk", "c9"), approve=True, reason="ok")
    assert card.members.count() == before + 1
    with pytest.raises(requests.RequestError):
        requests.submit(card, "newborn", {"given": "x"})  # no birth certificate


def test_the_portal_signs_in_only_with_all_three_and_shows_only_that_card(imported):
    card = Card.objects.filter(members__relation="head").first()
    head = card.head()
    head.national_id = "199001011234"
    head.save()
    pin = requests.issue_pin(card, make_user("ration_clerk"))
    client = Client()
    wrong = client.post("/ration/my/", {"card": card.number, "national_id": "199001011234", "pin": "000000"
                                        if pin != "000000" else "111111"})
    unknown = client.post("/ration/my/", {"card": "1", "national_id": "199001011234", "pin": pin})
    assert "Check them" in wrong.content.decode() or "تحقق" in wrong.content.decode()
    assert wrong.content.decode().count("errorlist") == unknown.content.decode().count("errorlist")
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in card.number)
    ok = client.post("/ration/my/", {"card": arabic, "national_id": "199001011234", "pin": pin})
    assert ok.status_code == 302
    page = client.get("/ration/my/card/").content.decode()
    assert card.number in page
    others = Block.objects.create(member=Member.objects.exclude(card=card).first(), source="deaths", rule="death",
                                  proposed_at=dt.datetime.now(dt.UTC), state=BlockState.NOTIFIED)
    assert client.get(f"/ration/my/notice/{others.pk}/").status_code == 404


def test_the_portal_locks_out_guessing(imported):
    card = Card.objects.first()
    client = Client()
    codes = [client.post("/ration/my/", {"card": card.number, "national_id": "199001011234", "pin": f"{i:06d}"}
                         ).status_code for i in range(12)]
    assert codes[-1] == 429


def test_a_clerk_sees_only_their_centre_and_an_agent_only_their_cards(imported):
    card = Card.objects.first()
    elsewhere = Card.objects.exclude(centre=card.centre).first()
    clerk = make_user("ration_clerk")
    ClerkPost.objects.create(user=clerk, centre=card.centre)
    client = Client()
    client.force_login(clerk)
    assert client.get(f"/ration/cards/{card.number}/").status_code == 200
    assert client.get(f"/ration/cards/{elsewhere.number}/").status_code == 403
    agent_user = make_user("ration_agent")
    Agent.objects.filter(pk=card.agent_id).update(user=agent_user)
    client.force_login(agent_user)
    page = client.get("/ration/").content.decode()
    assert card.number in page and elsewhere.number not in page
    assert client.get(f"/ration/cards/{card.number}/").status_code == 403  # an agent opens no member's record


def test_licensing_checks_clock_and_licence(imported):
    from pypdf import PdfReader

    centre = Card.objects.first().centre
    app = agents.apply(name="كاظم جواد عباس الربيعي", national_id="198001011234", birth_date="1980-01-01",
                       phone="0770", centre=centre, area="حي 1", premises="شارع 2")
    assert all(c["passed"] for c in app.checks)
    planner = make_user("ration_planner")
    agents.decide(app, planner, approve=True)
    again = agents.apply(name="كاظم جواد عباس الربيعي", national_id="198001011234", birth_date="1980-01-01",
                         phone="0770", centre=centre, area="حي 1", premises="شارع 2")
    assert not next(c for c in again.checks if c["check"] == "not already an agent")["passed"]
    with pytest.raises(agents.LicensingError):
        agents.decide(again, planner, approve=True)
    assert agents.overdue(again, today=agents.due_on(again) + dt.timedelta(days=1))
    client = Client()
    client.force_login(planner)
    pdf = client.get(f"/ration/applications/{app.pk}/licence.pdf")
    assert app.agent.licence_no in PdfReader(__import__("io").BytesIO(pdf.content)).pages[0].extract_text()
    moved = agents.transfer_cards(Agent.objects.exclude(pk=app.agent.pk).filter(cards__isnull=False).first(),
                                  app.agent, planner)
    assert moved > 0 and Card.objects.filter(agent=app.agent).count() == moved


def test_change_requests_reach_their_centres_queue(imported, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    card = Card.objects.first()
    req = requests.submit(card, "move", {"agent": Agent.objects.exclude(pk=card.agent_id).first().number})
    clerk = make_user("ration_clerk")
    ClerkPost.objects.create(user=clerk, centre=card.centre)
    client = Client()
    client.force_login(clerk)
    assert req.number in client.get("/ration/").content.decode()
    assert ChangeRequest.objects.get(pk=req.pk).state == "submitted"


def test_month_close_counts_members_with_a_share_and_the_months_restored(imported):
    from sijill.ration import distribution
    from sijill.ration.models import Entitlement

    card = Card.objects.filter(members__isnull=False).first()
    blocked, lifted = card.members.order_by("pk")[:2]
    Member.objects.filter(pk=blocked.pk).update(status=MemberStatus.BLOCKED)
    Block.objects.create(member=lifted, source="travel", rule="abroad", state=BlockState.LIFTED,
                         proposed_at=dt.datetime.now(dt.UTC), decided_on=dt.date(2025, 6, 20), months_restored=2)
    close = distribution.queue_close(dt.date(2025, 6, 14))
    close = distribution.execute_close(close.pk)
    assert close.state == "done" and close.totals["cards"] == Card.objects.count()
    mine = Entitlement.objects.get(close=close, card=card)
    assert (mine.people, mine.restored_months) == (card.members.count() - 1, 2)
    quantities = distribution.card_quantities(mine)
    assert quantities["rice"] == 3 * (mine.people + 2)  # the basket of 2025: 3 kg of rice a person
    with pytest.raises(distribution.CloseError):
        distribution.queue_close(dt.date(2025, 6, 1))


def test_an_agent_records_each_cards_collection_once_and_only_for_their_cards(imported):
    from sijill.ration import distribution

    card = Card.objects.first()
    agent_user = make_user("ration_agent")
    Agent.objects.filter(pk=card.agent_id).update(user=agent_user)
    client = Client()
    client.force_login(agent_user)
    client.post("/ration/agent/", {"card": card.number, "by": "proxy", "proxy": "حسين علي"})
    assert card.distributions.get().proxy_name == "حسين علي"
    client.post("/ration/agent/", {"card": card.number, "by": "head"})
    assert card.distributions.count() == 1
    other = Card.objects.exclude(agent=card.agent).first()
    client.post("/ration/agent/", {"card": other.number, "by": "head"})
    assert not other.distributions.exists()
    with pytest.raises(distribution.CloseError):
        distribution.record_collection(other, card.agent, month=dt.date(2025, 6, 1), by="head")


def test_the_planner_opens_a_ration_cycle_with_interior_as_partners(imported, settings, tmp_path):
    from sijill.exchange.models import Agreement, Cycle

    settings.DATA_DIR = tmp_path / "var"
    client = Client()
    client.force_login(make_user("ration_planner"))
    client.post("/ration/cycle/", {"action": "open"})
    cycle = Cycle.objects.get()
    assert cycle.registry == "ration" and cycle.state == "open"
    assert Agreement.objects.filter(agency__code="national_cards", allowed_payload_fields=["الرقم الوطني"]).exists()
    assert cycle.code in client.get("/ration/").content.decode()


def test_the_planner_suspends_an_agent_and_moves_its_cards(imported):
    source = Agent.objects.filter(cards__isnull=False).first()
    target = Agent.objects.exclude(pk=source.pk).filter(centre=source.centre).first()
    cards = set(source.cards.values_list("pk", flat=True))
    client = Client()
    client.force_login(make_user("ration_planner"))
    client.post(f"/ration/agents/{source.number}/", {"action": "suspend", "reason": "شكاوى متكررة"})
    client.post(f"/ration/agents/{source.number}/", {"action": "transfer", "to": target.number})
    source.refresh_from_db()
    assert source.status == "suspended" and not source.cards.exists()
    assert cards <= set(target.cards.values_list("pk", flat=True))
    assert CardEvent.objects.filter(kind="agent_changed", card_id__in=cards).count() == len(cards)
    clerk = Client()
    clerk.force_login(make_user("ration_clerk"))
    assert clerk.get(f"/ration/agents/{target.number}/").status_code == 403


def test_a_parquet_card_file_imports_like_a_csv(imported, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    card = Card.objects.first()
    path = tmp_path / "cards.parquet"
    pq.write_table(pa.table({"record_id": ["P-1", "P-2"], "card_no": [card.number] * 2,
                             "centre": [card.centre.code] * 2, "agent": [card.agent.number] * 2,
                             "given_name": ["مريم", "يوسف"], "birth_date": ["١٩٩٩-٠١-٠٢", "31/02/2001"]}), path)
    report = import_cards(path)
    assert (report.created, report.rejected) == (2, 0)
    assert [(p.row, p.field) for p in report.problems] == [(3, "birth_date")]  # 31 February: kept, reported
    assert card.members.filter(record_id__in=["P-1", "P-2"]).count() == 2
