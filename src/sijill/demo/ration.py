"""The demo's ration story, after the social registry's: the Ministry of Trade's cards imported, every member
linked to the national card by a blind cycle with Interior, the dead and emigrated blocked with due process
(one block contested and lifted with its months restored), a head of household's request approved, an agent
licensed online. Django is set up by the caller; every figure returned is counted from the database."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

from rich.console import Console

# The demo's calendar for due process (the synthetic world's "today" is 2025-06-30).
CYCLE_DAY = dt.date(2025, 3, 1)
VERIFY_DAY = dt.date(2025, 3, 2)
APPLY_DAY = dt.date(2025, 4, 5)
CONTEST_DAY = dt.date(2025, 6, 10)
DECIDE_DAY = dt.date(2025, 6, 20)
# a tiny valid PNG standing in for the photo of a birth certificate
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000008000000080800000000e164e157000000104944415478"
                    "9c633cc100014c0c1431003a0000d884c80ae90000000049454e44ae426082")


def run_ration(workdir: Path, console: Console, persons: int, seed: int, *, inline: bool = False,
               on_cycle_open=lambda: None) -> dict[str, object]:
    """The story; with ``inline`` the cycles' runs are executed in this process (the worker's own function)
    instead of by a worker process (tests). ``on_cycle_open`` is the hub operator's part once a cycle is open:
    trusting the registry's signing key."""
    from sijill.synth.ration import generate_ration_world

    world_dir = workdir / "ration-world"
    shutil.rmtree(world_dir, ignore_errors=True)
    world = generate_ration_world(world_dir, persons, seed)
    console.print(f"  the ration world of the same people: {world.cards:,} cards, {world.members:,} card rows, "
                  f"{world.centres} centres, {world.agents} agents (Trade's file in Windows-1256)")
    figures: dict[str, object] = {}
    figures.update(_import(world_dir, console))
    users = _staff()
    figures.update(_link(world_dir, workdir / "ration-holders", console, inline, on_cycle_open))
    figures.update(_block(world_dir, workdir / "ration-holders", users, console, inline, on_cycle_open))
    figures.update(_self_update(users, console))
    figures.update(_license(world_dir, users, console))
    from sijill.ration.models import Agent, Card, ChangeRequest, Member

    figures.update({"cards": Card.objects.count(), "members": Member.objects.count(),
                    "requests": ChangeRequest.objects.count(), "agents": Agent.objects.count()})
    return figures


def _import(world: Path, console: Console) -> dict:
    from sijill.ration.importing import import_cards, import_network

    centres, agents = import_network(world / "ration/centres.csv", world / "ration/agents.csv")
    first = import_cards(world / "ration/cards.csv")
    again = import_cards(world / "ration/cards.csv")
    console.print(f"  import: {centres} centres, {agents} agents; {first.rows:,} card rows read, {first.created:,} "
                  f"members created, {first.rejected} rejected, {len(first.problems)} values reported with file, row "
                  f"and field; {first.flagged_two_cards} persons flagged on two cards (never merged)")
    console.print(f"  the same file again: {again.created} created, {again.unchanged:,} unchanged")
    return {"import_rows": first.rows, "import_problems": len(first.problems), "reimport_created": again.created}


def _staff() -> dict:
    """The centres' clerks (one per centre; the demo's rationclerk at the first Baghdad centre), the planner."""
    from sijill.accounts.models import User
    from sijill.accounts.roles import Role
    from sijill.ration.models import Agent, Centre, ClerkPost

    def user(name: str, role: str, governorates=()):
        u = User.objects.filter(username=name).first() or User(username=name)
        u.role, u.governorates, u.is_active = role, list(governorates), True
        if not u.pk:
            u.set_unusable_password()
        u.save()
        return u

    clerks = {}
    for centre in Centre.objects.order_by("code"):
        clerk = user(f"clerk-{centre.code.lower()}", Role.RATION_CLERK, [centre.governorate])
        ClerkPost.objects.update_or_create(user=clerk, defaults={"centre": centre})
        clerks[centre.pk] = clerk
    home = Centre.objects.filter(governorate="بغداد").order_by("code").first()
    rationclerk = user("rationclerk", Role.RATION_CLERK, [home.governorate])
    ClerkPost.objects.update_or_create(user=rationclerk, defaults={"centre": home})
    agent_user = user("agent", Role.RATION_AGENT)
    first_agent = Agent.objects.filter(centre=home).order_by("number").first()
    Agent.objects.filter(user=agent_user).exclude(pk=first_agent.pk).update(user=None)
    first_agent.user = agent_user
    first_agent.save(update_fields=["user"])
    return {"clerks": clerks, "rationclerk": rationclerk, "home": home,
            "planner": user("rationplanner", Role.RATION_PLANNER)}


def _interior_upload(holder: str, extract: Path, holders: Path) -> None:
    """Interior, on its own machine: joins the cycle, encodes its file with its own signing key, and sends the
    package to the linkage hub (checked there: signature, cycle, schema, payload fields within the agreement);
    the Ministry of Trade never holds it."""
    from django.conf import settings

    from sijill.exchange import storage, trust
    from sijill.exchange.models import Agency
    from sijill.hub import HubClient
    from sijill.pprl.format import load_schema
    from sijill.pprl.format.archive import pack
    from sijill.pprl.holder import HolderKeys, encode, init_keys
    from sijill.ration.cycles import partner_schema_path
    from sijill.tabular import read_batches

    keys = holders / "keys" / holder
    shutil.rmtree(keys, ignore_errors=True)
    keys.parent.mkdir(parents=True, exist_ok=True)
    init_keys(keys, holder, join=storage.registry_keys_dir())
    agency = Agency.objects.get(code=holder)
    trust.register_key(agency, (keys / "holder.pub").read_text(encoding="utf-8"))
    schema = Path(partner_schema_path(holder))
    out = holders / "packages" / f"{holder}.pkg"
    encode(read_batches(extract).batches, load_schema(schema), HolderKeys.load(keys), out, agency=holder,
           overwrite=True)
    archive = out.with_suffix(".tar")
    with open(archive, "wb") as f:
        pack(out, f, schema=schema)
    sender = HolderKeys.load(keys)
    answer = HubClient(settings.HUB_URL, sender).upload(sender.cycle, archive)
    if answer["status"] != "accepted":
        raise RuntimeError(f"the hub refused {holder}'s package: {answer.get('reason')}")


def _run(cycle, console: Console, inline: bool, as_of: dt.date | None = None):
    """The cycle's run, queued for the background worker, and a worker process that runs it."""
    import os
    import subprocess
    import sys
    import time

    from sijill.cycles.orchestrator import execute_run, start_run

    run = start_run(cycle, as_of=as_of)
    if inline:
        execute_run(run.pk)
        run.refresh_from_db()
        if run.state != "succeeded":
            raise RuntimeError(f"the ration cycle's run {run.state}: {run.error}")
        return run
    worker = subprocess.Popen([sys.executable, "-c", "from sijill.cli import app; app()", "worker", "--batch",
                               "--interval", "0.2"], env=os.environ.copy(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    with console.status("the worker runs the ration registry's cycle ...") as status:
        while worker.poll() is None:
            run.refresh_from_db()
            status.update(f"run {run.pk}: {run.stage} ({run.progress_done}/{run.progress_total})")
            time.sleep(0.3)
    run.refresh_from_db()
    if run.state != "succeeded":
        raise RuntimeError(f"the ration cycle's run {run.state}: {run.error or worker.stderr.read()[-2000:]}")
    return run


def _link(world: Path, holders: Path, console: Console, inline: bool, on_cycle_open) -> dict:
    from sijill.ration import linkage
    from sijill.ration.cycles import open_ration_cycle
    from sijill.ration.models import LinkState, Member

    cycle = open_ration_cycle(note="demo: national-ID linkage")
    on_cycle_open()
    _interior_upload(linkage.NATIONAL, world / "interior/national_cards.csv", holders)
    run = _run(cycle, console, inline)
    counts = {s: Member.objects.filter(link_state=s).count() for s in LinkState.values}
    two_cards = (run.log.get("dedupe") or {}).get("found", 0)
    accuracy = _accuracy(world)
    console.print(f"  national-ID linkage (cycle {cycle.code}; Interior encoded its register with its own keys and "
                  f"uploaded the package, Trade never saw the file): {counts['linked']:,} linked, "
                  f"{counts['not_found']:,} not found, {counts['conflict']:,} in conflict; {two_cards} persons on "
                  "two cards flagged by the hub's dedupe")
    console.print(f"  against the world's truth: precision {accuracy['precision']:.3f}, "
                  f"recall {accuracy['recall']:.3f}")
    for row in linkage.coverage()[:3]:
        console.print(f"    {row['key']}: {row['linked']:,} of {row['members']:,} members updated ({row['share']} %)")
    return {"linked": counts["linked"], "not_found": counts["not_found"], "conflict": counts["conflict"],
            "two_cards": two_cards, "linkage_precision": accuracy["precision"],
            "linkage_recall": accuracy["recall"], "national_id_cycle": cycle.code}


def _accuracy(world: Path) -> dict:
    """Linked members whose number is truly theirs (precision), of those Interior holds (recall)."""
    from sijill.ration.models import LinkState, Member

    with open(world / "truth/ration_members.csv", encoding="utf-8", newline="") as f:
        truth = {r["record_id"]: r for r in csv.DictReader(f)}
    linked = right = reachable = 0
    for record_id, state, number in Member.objects.values_list("record_id", "link_state", "linked_national_id"):
        t = truth.get(record_id)
        if t is None:
            continue
        findable = bool(t["national_id"]) and t["dead"] == "false"
        reachable += findable
        if state == LinkState.LINKED:
            linked += 1
            right += number == t["national_id"]
    return {"precision": round(right / linked, 4) if linked else 0.0,
            "recall": round(right / reachable, 4) if reachable else 0.0}


def _block(world: Path, holders: Path, users: dict, console: Console, inline: bool, on_cycle_open) -> dict:
    from sijill.ration import blocking
    from sijill.ration.cycles import open_ration_cycle
    from sijill.ration.models import Block, BlockState

    cycle = open_ration_cycle(note="demo: the dead and the emigrated")
    on_cycle_open()
    for holder in ("deaths", "travel"):
        _interior_upload(holder, world / f"agencies/{holder}.csv", holders)
    run = _run(cycle, console, inline, as_of=CYCLE_DAY)
    proposed = Block.objects.filter(run=run).select_related("member__card")
    for block in proposed:  # each centre's clerk checks the evidence; uncertain matches wait for them in the web
        if block.match_class != "review":
            blocking.verify(block, users["clerks"][block.member.card.centre_id], confirmed=True, on=VERIFY_DAY)
    notified = Block.objects.filter(run=run, state=BlockState.NOTIFIED)
    for block in notified:  # after the response period, the planner (not the verifier) applies them
        blocking.apply_block(block, users["planner"], on=APPLY_DAY)
    console.print(f"  dead and emigrated (cycle {cycle.code}, Interior's deaths and travel): {proposed.count()} blocks "
                  f"proposed, {notified.count()} verified and notified, "
                  f"{Block.objects.filter(run=run, state=BlockState.BLOCKED).count()} applied after the "
                  f"{blocking.rules().notice_days}-day response period; none deleted")
    lifted = _contest_one(world, users)
    if lifted is not None:
        console.print(f"  card {lifted.member.card.number} contested a block ({lifted.rule}); a clerk who neither "
                      f"verified nor applied it lifted it and "
                      f"restored {lifted.months_restored} months of the basket")
    applied = Block.objects.filter(blocked_from__isnull=False)
    return {"proposed": proposed.count(), "blocked": applied.count(),
            "reinstated": Block.objects.filter(state=BlockState.LIFTED).count()}


def _contest_one(world: Path, users: dict):
    """A household of rationclerk's centre contests its block (the wrong one if the matcher made one)."""
    from sijill.ration import blocking
    from sijill.ration.models import Block, BlockState

    with open(world / "truth/ration_members.csv", encoding="utf-8", newline="") as f:
        truth = {r["record_id"]: r for r in csv.DictReader(f)}
    blocks = list(Block.objects.filter(state=BlockState.BLOCKED).select_related("member__card").order_by("pk"))
    if not blocks:
        return None
    wrong = [b for b in blocks if truth.get(b.member.record_id, {}).get("dead") == "false" and b.rule == "death"]
    returned = [b for b in blocks if b.rule == "abroad"]  # the member comes to the centre in person
    block = (wrong or returned or blocks)[0]
    blocking.contest(block, "رب الأسرة حضر مع الفرد المعني إلى المركز", on=CONTEST_DAY)
    decider = users["rationclerk"]
    if block.member.card.centre_id != users["home"].pk:  # a second clerk of that centre, not the verifier
        from sijill.accounts.models import User
        from sijill.accounts.roles import Role
        from sijill.ration.models import ClerkPost

        centre = block.member.card.centre
        decider, _ = User.objects.get_or_create(username=f"clerk2-{centre.code.lower()}", defaults={
            "role": Role.RATION_CLERK, "governorates": [centre.governorate]})
        ClerkPost.objects.update_or_create(user=decider, defaults={"centre": centre})
    return blocking.decide_contest(block, decider, lift=True, on=DECIDE_DAY,
                                   reason="حضر الفرد شخصياً وتم التحقق من هويته الموحدة")


def _self_update(users: dict, console: Console) -> dict:
    from django.core.files.base import ContentFile

    from sijill.ration import requests
    from sijill.ration.models import Card, LinkState

    card = (Card.objects.filter(centre=users["home"], members__relation="head",
                                members__link_state=LinkState.LINKED).order_by("number").first())
    if card is None:
        return {}
    pin = requests.issue_pin(card, users["rationclerk"])
    head = card.head()
    signed = requests.sign_in(card.number, head.linked_national_id, pin)
    req = requests.submit(signed, "newborn", {"given": "فاطمة", "father": head.given, "grandfather": head.father,
                                              "surname": head.surname, "mother": "", "birth_date": "2025-05-14",
                                              "sex": "F"},
                          document=ContentFile(PNG, name="birth-certificate.png"))
    requests.decide(req, users["rationclerk"], approve=True, reason="شهادة الميلاد مطابقة")
    console.print(f"  self-update: the head of card {card.number} signed in with card number, national ID and PIN, "
                  f"asked to add a newborn (request {req.number}); rationclerk approved it")
    return {"sample_card": card.number}


def _license(world: Path, users: dict, console: Console) -> dict:
    from sijill.ration import agents

    with open(world / "interior/national_cards.csv", encoding="utf-8", newline="") as f:
        person = next(r for r in csv.DictReader(f) if r["تاريخ الميلاد"][:4] < "1990")
    name = " ".join(person[k] for k in ("الاسم", "اسم الاب", "اسم الجد", "اللقب") if person[k])
    app = agents.apply(name=name, national_id=person["الرقم الوطني"], birth_date=person["تاريخ الميلاد"],
                       phone="07701234567", centre=users["home"], area="حي الجامعة", premises="شارع 14، محل 3")
    if all(c["passed"] for c in app.checks):
        agents.decide(app, users["planner"], approve=True)
        console.print(f"  an agent licensed online: application {app.number}, checks passed, licence "
                      f"{app.agent.licence_no} issued the same day (the service clock allows {agents.SERVICE_DAYS})")
    else:
        console.print(f"  agent application {app.number} waits: {[c for c in app.checks if not c['passed']]}")
    return {"agents_licensed_online": int(app.agent_id is not None)}
