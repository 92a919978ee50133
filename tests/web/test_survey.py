"""The re-survey: XLSForm skip logic and constraints, the proxy-means test as a table of cases, each monitoring
check with a case that raises it and one that must not, back-checks, the due process of a "not eligible"
result, idempotent resends, and who may see what."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import uuid

import pytest
from conftest import make_user
from django.test import Client
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from sijill.cases.models import Case
from sijill.registry.models import Enrolment, EnrolmentStatus, Household, Membership, Person, Programme
from sijill.survey import backchecks, batch, campaigns, interviews, monitoring, pmt, xlsform
from sijill.survey.models import Flag, Interview, PmtResult

pytestmark = pytest.mark.django_db
BAGHDAD = "بغداد"


@pytest.fixture
def spec():
    return campaigns.default_questionnaire().spec


def members(n=4, ages=(40, 35, 10, 8)):
    rows = []
    for i in range(n):
        age = ages[i % len(ages)]
        rows.append({"member_name": f"فرد رقم {i}", "relation": "head" if i == 0 else "child", "sex": "M",
                     "age": age, "disability": "no", "chronic_illness": "no", **({"works": "no"} if age >= 15 else {})})
    return rows


def poor(**over) -> dict:
    answers = {"consent": "yes", "area_type": "urban", "members": members(), "dwelling_tenure": "owned",
               "wall_material": "mud", "dwelling_condition": "poor", "rooms": 2, "water": "tanker",
               "electricity_hours": 8, "assets": "fridge", "income_sources": "daily_labour",
               "monthly_income_iqd": 250_000, "loan": "no", "care_forgone": "yes"}
    answers.update(over)
    return answers


# --- XLSForm -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("answers", "kept", "problems"), [
    (poor(), {"wall_material": "mud"}, []),
    (poor(dwelling_tenure="rented"), {}, ["rent_iqd"]),                        # relevant: rent asked, required
    (poor(dwelling_tenure="rented", rent_iqd="٢٥٠٠٠٠"), {"rent_iqd": 250000}, []),  # Arabic-Indic digits
    (poor(rent_iqd=100), {}, []),                                              # not rented: rent dropped
    (poor(rooms=0), {}, ["rooms"]),                                            # constraint . >= 1
    (poor(assets="car fridge"), {}, ["car_year"]),                             # selected(${assets}, 'car')
    (poor(assets="nothing car", car_year=2015), {}, ["assets"]),               # "nothing" with something
    (poor(wall_material="marble"), {}, ["wall_material"]),                     # not a choice
    ({"consent": "no"}, {"consent": "no"}, []),                                # refusal: the rest is skipped
])
def test_skip_logic_and_constraints_follow_the_xlsform(spec, answers, kept, problems):
    clean, found = xlsform.check(spec, answers)
    assert sorted(p.where for p in found) == problems
    for key, value in kept.items():
        assert clean[key] == value
    if answers.get("dwelling_tenure") != "rented":
        assert "rent_iqd" not in clean


def test_a_repeat_question_reads_its_own_row(spec):
    rows = members(2, ages=(40, 9))
    rows[1]["works"] = "yes"  # a child of 9 is not asked whether they work: dropped
    rows[0]["disability"] = "yes"  # the kind of disability is then required
    clean, found = xlsform.check(spec, poor(members=rows))
    assert [p.where for p in found] == ["members[1].disability_type"]
    assert "works" not in clean["members"][1] and clean["members"][0]["works"] == "no"


@pytest.mark.parametrize(("row", "error"), [
    ("| | integer | age | Age | . >= 0 and foo(.) | |", "foo() is not supported"),
    ("| | integer | age | Age | | ${nobody} > 1 |", "the 'relevant' value is invalid"),  # pyxform's own check
    ("| | geopoint | where | Where | | |", "'geopoint' is not supported"),
])
def test_a_form_the_phone_cannot_run_is_refused_naming_the_question(tmp_path, row, error):
    form = tmp_path / "bad.md"
    form.write_text("| survey |\n| | type | name | label | constraint | relevant |\n" + row +
                    "\n| settings |\n| | form_id | version |\n| | bad | 1 |\n", encoding="utf-8")
    with pytest.raises(xlsform.FormError) as e:
        xlsform.read(form)
    assert "bad.md" in str(e.value) and error in str(e.value)


def test_a_questionnaire_version_is_never_rewritten():
    source = campaigns.default_questionnaire().source
    with pytest.raises(xlsform.FormError, match="already loaded"):
        campaigns.upload_questionnaire(bytes(source), "household_ar.md", None)


# --- the proxy-means test -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("answers", "governorate", "result"), [
    (poor(), BAGHDAD, PmtResult.ELIGIBLE),
    (poor(monthly_income_iqd=6_000_000, assets="car generator air_conditioner computer", car_year=2022,
          dwelling_condition="good", wall_material="concrete", rooms=6, water="network",
          income_sources="government_salary"), BAGHDAD, PmtResult.NOT_ELIGIBLE),
    # 6 + 0.5 ln(1 + 75,000) - 0.03 x 4 - 0.3 x 0.5 + 0.1 x 0.75 + 0.05 + 0.05 = 11.52: within 11.55 ± 0.1
    (poor(monthly_income_iqd=300_000, wall_material="brick", water="network", assets="fridge washing_machine",
          dwelling_condition="fair", care_forgone="no", income_sources="private_wage", rooms=3), BAGHDAD,
     PmtResult.BORDERLINE),
])
def test_pmt_results(answers, governorate, result):
    formula = pmt.Formula.of(pmt.first_model())
    assert formula.apply(answers, governorate)[1] == result


def test_pmt_score_is_the_weighted_sum_of_the_table():
    formula = pmt.Formula(1.0, {"members": 0.5, "owns_car": 2.0}, [{"governorate": "*", "area": "*", "cutoff": 5,
                                                                    "band": 0.5}])
    assert formula.score(poor(members=members(3), assets="car", car_year=2000)) == pytest.approx(1 + 1.5 + 2)
    assert formula.score(poor(members=members(3))) == pytest.approx(2.5)


@pytest.mark.parametrize(("governorate", "area", "cutoff"), [
    (BAGHDAD, "urban", 11.55), (BAGHDAD, "rural", 11.35), ("نينوى", "urban", 11.45), ("نينوى", "rural", 11.35)])
def test_the_most_specific_cutoff_applies(governorate, area, cutoff):
    assert pmt.Formula.of(pmt.first_model()).cutoff(governorate, area)["cutoff"] == cutoff


@pytest.mark.parametrize(("text", "error"), [
    ("variable,weight\nintercept,1\nowns_yacht,2\n", "weights, row 3, variable: unknown variable 'owns_yacht'"),
    ("variable,weight\nintercept,1\nowns_car,lots\n", "weights, row 3, weight: 'lots' is not a number"),
    ("variable,weight\nowns_car,1\n", "no intercept row"),
])
def test_a_bad_weights_table_names_row_and_field(text, error):
    with pytest.raises(pmt.PmtError, match=error):
        pmt.parse_weights(text)


def test_cutoffs_need_a_default_and_known_governorates():
    with pytest.raises(pmt.PmtError, match="row 2, governorate: unknown governorate"):
        pmt.parse_cutoffs("governorate,area,cutoff,band\nأطلانتس,*,11,0.1\n*,*,11,0.1\n")
    with pytest.raises(pmt.PmtError, match="a row for governorate \\* and area \\*"):
        pmt.parse_cutoffs("governorate,area,cutoff,band\nالبصرة,urban,11,0.1\n")


# --- a campaign and interviews through the service the phone's outbox calls ---------------------------------

@pytest.fixture
def field(db):
    programme = Programme.objects.create(code="SPN", name_ar="شبكة الحماية")
    manager = make_user("survey_manager", "sm")
    team = {"manager": manager, "r1": make_user("field_researcher", "r1", governorates=[BAGHDAD]),
            "r2": make_user("field_researcher", "r2", governorates=[BAGHDAD]),
            "sup": make_user("field_supervisor", "sup", governorates=[BAGHDAD]),
            "basra_sup": make_user("field_supervisor", "sup-basra", governorates=["البصرة"])}
    for i in range(6):
        household = Household.objects.create(household_id=f"HH-{i}", governorate=BAGHDAD, district="الكرخ")
        for j, relation in enumerate(("head", "spouse", "son", "daughter")):
            person = Person.objects.create(record_id=f"P-{i}-{j}", given=f"اسم{j}", father="علي", surname="حسن",
                                           birth_year=1980 + 10 * j, sex="M" if j % 2 == 0 else "F",
                                           governorate=BAGHDAD)
            Membership.objects.create(household=household, person=person, relation=relation)
        Enrolment.objects.create(enrolment_id=f"E-{i}", household=household, programme=programme,
                                 monthly_amount_iqd=175_000, status=EnrolmentStatus.ACTIVE)
    campaign = campaigns.create(code="RS-T", name="تجربة", governorates=[BAGHDAD], districts=[],
                                starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31),
                                questionnaire=campaigns.default_questionnaire(), actor=manager)
    for n, target in enumerate(campaign.targets.order_by("pk")):
        target.latitude, target.longitude = 33.30 + n * 0.01, 44.40
        target.save()
    done = campaigns.assign(campaign, actor=manager)
    assert done == {"assigned": 6, "unassigned": 0}
    team["targets"] = list(campaign.targets.order_by("pk"))
    return team


def picture(seed: int) -> str:
    import random

    rng = random.Random(seed)
    image = Image.new("RGB", (200, 150), (120, 120, 120))
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x, y = rng.randrange(0, 180), rng.randrange(0, 130)
        draw.rectangle([x, y, x + rng.randrange(10, 90), y + rng.randrange(10, 80)],
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


WORK_DAY = timezone.make_aware(dt.datetime(2026, 3, 10, 10, 0))


def send(target, *, answers=None, start=WORK_DAY, minutes=40, at=None, photos=(), uid=None):
    from sijill.cases.visits import photo_from_data_url

    lat, lon = at if at is not None else (target.latitude + 0.0001, target.longitude)
    data = {"client_uuid": uid or str(uuid.uuid4()), "answers": answers or poor(), "started_at": start.isoformat(),
            "ended_at": (start + dt.timedelta(minutes=minutes)).isoformat(), "start_lat": lat, "start_lon": lon,
            "end_lat": lat, "end_lon": lon}
    return interviews.submit(target, target.researcher, data, photos=[photo_from_data_url(p) for p in photos])[0]


def codes(item) -> set[str]:
    return set(Flag.objects.filter(interview=item).values_list("code", flat=True))


def test_an_honest_interview_raises_no_flag(field):
    assert codes(send(field["targets"][0], photos=[picture(1)])) == set()


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"minutes": 12}, "too_short"),                                  # 4 members: at least 10 + 2 x 4 = 18 minutes
    ({"at": (None, None)}, "gps_missing"),
    ({"at": (33.40, 44.40)}, "gps_far"),
    ({"start": WORK_DAY.replace(hour=21)}, "off_hours"),
    ({"answers": poor(dwelling_condition="dilapidated", assets="car", car_year=2023)}, "inconsistent"),
    ({"answers": poor(members=members(9))}, "registry_mismatch"),    # 4 in the registry
])
def test_each_check_on_one_interview(field, kwargs, code):
    assert code in codes(send(field["targets"][0], **kwargs))


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"minutes": 18}, "too_short"),
    ({"at": (33.30 + 0.001, 44.40)}, "gps_far"),                     # about 110 m away: allowed
    ({"start": WORK_DAY.replace(hour=8), "minutes": 30}, "off_hours"),
    ({"answers": poor(dwelling_condition="dilapidated", assets="car", car_year=1998)}, "inconsistent"),
    ({"answers": poor(members=members(5))}, "registry_mismatch"),
])
def test_each_check_has_a_case_that_must_not_raise_it(field, kwargs, code):
    assert code not in codes(send(field["targets"][0], **kwargs))


def test_interviews_from_one_point_a_reused_photo_and_copied_answers_are_caught(field):
    t = [x for x in field["targets"] if x.researcher == field["r1"]]
    home = (33.2, 44.2)
    first = send(t[0], at=home, photos=[picture(7)], answers=poor(rooms=3))
    second = send(t[1], at=home, photos=[picture(7)], answers=poor(rooms=3), start=WORK_DAY + dt.timedelta(hours=1))
    third = send(t[2], at=home, photos=[picture(9)], start=WORK_DAY + dt.timedelta(hours=2))
    assert {"photo_reused", "straight_lining"} <= codes(first) & codes(second)
    assert "photo_reused" not in codes(third) and "straight_lining" not in codes(third)
    assert "gps_cluster" in codes(first) & codes(second) & codes(third)


def test_too_many_interviews_in_a_day(field, settings, monkeypatch):
    from sijill.survey import monitoring

    monkeypatch.setitem(monitoring.checks()["too_many_day"]["params"], "max_per_day", 2)
    t = [x for x in field["targets"] if x.researcher == field["r1"]]
    flags = [codes(send(x, start=WORK_DAY + dt.timedelta(hours=i))) for i, x in enumerate(t[:3])]
    assert ["too_many_day" in f for f in flags] == [False, False, True]


def test_a_resend_is_stored_once_and_a_second_interview_is_refused(field):
    target, uid = field["targets"][0], str(uuid.uuid4())
    first = send(target, uid=uid)
    assert send(target, uid=uid).pk == first.pk
    with translation.override("en"), pytest.raises(interviews.Refused, match="already interviewed"):
        send(target)
    assert first.form_version == "2026.1"


def test_not_eligible_for_an_enrolled_household_opens_a_case_and_changes_no_benefit(field):
    target = field["targets"][0]
    rich = poor(monthly_income_iqd=8_000_000, assets="car generator", car_year=2023, dwelling_condition="good",
                wall_material="concrete", rooms=7, water="network", income_sources="government_salary",
                care_forgone="no")
    item = send(target, answers=rich)
    assert item.pmt_result == PmtResult.NOT_ELIGIBLE and item.pmt.version == 1
    case = Case.objects.get(pk=item.case_id)
    assert case.source == "survey" and case.person.membership.relation == "head" and case.outcome == ""
    assert Enrolment.objects.get(household=target.household).status == EnrolmentStatus.ACTIVE
    assert send(field["targets"][1]).case_id is None  # eligible: nothing to verify


def test_backchecks_sample_flagged_interviews_and_keep_a_discrepancy_rate(field):
    t = field["targets"]
    flagged = send(t[0], minutes=5)
    clean = send(t[1], answers=poor(rooms=3))  # not the same answers: no straight-lining
    made = backchecks.select(type(flagged).objects.all(), rate=0.0, seed=1, actor=field["manager"])
    assert made == 1 and flagged.backchecks.get().method == "phone" and not clean.backchecks.exists()
    check = flagged.backchecks.get()
    assert check.checker == field["sup"]
    client = login(field["sup"])  # the supervisor phones the household and records the answers
    assert f"/survey/backchecks/{check.pk}/" in client.get("/survey/dashboard/").content.decode()
    assert login(field["r2"]).get(f"/survey/backchecks/{check.pk}/").status_code == 403
    answer = client.post(f"/survey/backchecks/{check.pk}/", {
        "members": "٤", "dwelling_tenure": "owned", "wall_material": "concrete", "dwelling_condition": "poor",
        "rooms": "2", "water": "tanker", "assets": ["fridge"], "income_sources": ["daily_labour"], "loan": "no"})
    assert answer.status_code == 302
    check.refresh_from_db()
    assert [d["question"] for d in check.discrepancies] == ["wall_material"]
    assert backchecks.discrepancy_rates()[flagged.researcher_id] == {"done": 1, "differing": 1, "rate": 100.0}


def test_reassignment_stays_in_the_governorate(field):
    t = field["targets"][0]
    basra = make_user("field_researcher", "r-basra", governorates=["البصرة"])
    with pytest.raises(campaigns.ReassignRefused):
        campaigns.reassign(type(t).objects.filter(pk=t.pk), basra, actor=field["manager"], reason="إجازة")
    other = field["r2"] if t.researcher == field["r1"] else field["r1"]
    assert campaigns.reassign(type(t).objects.filter(pk=t.pk), other, actor=field["manager"], reason="إجازة") == 1


# --- who sees what -------------------------------------------------------------------------------------------

def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_researcher_sees_only_their_households(field):
    mine = next(x for x in field["targets"] if x.researcher == field["r1"])
    theirs = next(x for x in field["targets"] if x.researcher == field["r2"])
    client = login(field["r1"])
    page = client.get("/survey/mine/").content.decode()
    assert str(mine.household.household_id) in page and str(theirs.household.household_id) not in page
    assert client.get(f"/survey/households/{mine.pk}/interview/").status_code == 200
    assert client.get(f"/survey/households/{theirs.pk}/interview/").status_code == 403
    body = {"target": theirs.pk, "client_uuid": str(uuid.uuid4()), "answers": poor(),
            "started_at": WORK_DAY.isoformat(), "ended_at": (WORK_DAY + dt.timedelta(minutes=40)).isoformat()}
    assert client.post("/survey/upload/", json.dumps(body), content_type="application/json").status_code == 403
    body["target"] = mine.pk
    answer = client.post("/survey/upload/", json.dumps(body), content_type="application/json")
    assert answer.status_code == 201
    assert client.post("/survey/upload/", json.dumps(body), content_type="application/json").status_code == 200
    assert client.get("/survey/dashboard/").status_code == 403


def test_a_supervisor_sees_their_governorate_only(field):
    item = send(field["targets"][0], minutes=5)
    page = login(field["sup"]).get(f"/survey/interviews/{item.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "طين" in text and "مقابلة قصيرة جداً" in text  # the wall's label, not "mud"; the flag explained
    assert login(field["basra_sup"]).get(f"/survey/interviews/{item.pk}/").status_code == 403
    page = login(field["basra_sup"]).get("/survey/interviews/").content.decode()
    assert "HH-0" not in page
    dashboard = login(field["sup"]).get("/survey/dashboard/")
    assert dashboard.status_code == 200 and "<svg" in dashboard.content.decode()
    assert login(field["sup"]).get("/survey/dashboard/?format=xlsx").content[:2] == b"PK"


def test_the_pmt_what_if_preview_counts_the_changes(field):
    send(field["targets"][0])
    current = pmt.first_model()
    stricter = pmt.Formula(current.intercept + 2, {w["variable"]: w["weight"] for w in current.weights},
                           current.cutoffs)
    preview = pmt.what_if(stricter)
    assert preview["moves"] == {(PmtResult.ELIGIBLE, PmtResult.NOT_ELIGIBLE): 1}
    assert preview["households_changing"] == 1
    page = login(field["manager"]).post("/survey/pmt/", {
        "weights": pmt.weights_csv(current).replace("intercept,6.0", "intercept,8.0"),
        "cutoffs": pmt.cutoffs_csv(current), "effective_from": "2026-01-01", "note": "x", "preview": "1"})
    assert page.status_code == 200 and page.context["preview"]["changed"] == 1


@given(st.integers(0, 2**64 - 1), st.lists(st.integers(0, 63), max_size=4))
def test_a_hash_within_four_bits_shares_a_band(value, flips):
    other = value
    for bit in flips:
        other ^= 1 << bit
    a, b = f"{value:016x}", f"{other:016x}"
    assert monitoring.distance(a, b) <= 4
    assert any(x == y for x, y in zip(monitoring.bands(a), monitoring.bands(b), strict=True))


def test_the_batch_path_raises_the_flags_the_live_path_raised(field):
    t = [x for x in field["targets"] if x.researcher == field["r1"]]
    home = (33.2, 44.2)
    send(t[0], at=home, photos=[picture(7)], answers=poor(rooms=3), minutes=5)
    send(t[1], at=home, photos=[picture(7)], answers=poor(rooms=3), start=WORK_DAY.replace(hour=20))
    send(t[2], at=home, photos=[picture(9)], answers=poor(members=members(9)))
    live = {(f.interview_id, f.code) for f in Flag.objects.all()}
    found = batch.flag_rows(batch.rows_for(Interview.objects.all()))
    assert {(i, code) for i, codes_ in found.items() for code in codes_} == live
    assert {"photo_reused", "straight_lining", "gps_cluster", "too_short", "off_hours",
            "registry_mismatch"} <= {code for _, code in live}


def test_a_researcher_registers_a_new_applicant_in_the_field_and_interviews_it(field):
    client = login(field["r1"])
    campaign = field["targets"][0].campaign
    page = client.post("/survey/applicants/new/", {"campaign": campaign.pk, "name": "سعاد كاظم جبر",
                                                   "national_id": "١٩٨٥٠٣٠٢١٢٣٤", "governorate": BAGHDAD})
    target = campaign.targets.get(applicant_name="سعاد كاظم جبر")
    assert page.status_code == 302 and page["Location"] == f"/survey/households/{target.pk}/interview/"
    assert target.applicant_national_id == "198503021234" and target.researcher == field["r1"]
    assert target.household is None and interviews.roster(target)[0]["member_name"] == "سعاد كاظم جبر"
    item = send(target, at=(33.3, 44.4))  # no known location yet: nothing to be far from
    assert "gps_far" not in codes(item) and item.case_id is None  # not enrolled: no case, a person decides on enrolment
    bad = client.post("/survey/applicants/new/", {"campaign": campaign.pk, "name": "x", "national_id": "12",
                                                  "governorate": "البصرة"})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"national_id", "governorate"}


def test_a_new_pmt_version_scores_every_interview_again_and_sends_changes_to_due_process(field):
    from sijill.survey.models import PmtModel
    from sijill.survey.rescore import rescore

    item = send(field["targets"][0])
    assert item.pmt_result == PmtResult.ELIGIBLE and item.case_id is None
    first = pmt.first_model()
    stricter = PmtModel.objects.create(version=2, effective_from=dt.date(2026, 1, 2), intercept=first.intercept + 2,
                                       weights=first.weights, cutoffs=first.cutoffs, note="test")
    assert rescore(stricter) == {"version": 2, "changed": 1, "cases": 1}
    item.refresh_from_db()
    assert item.pmt_id == stricter.pk and item.pmt_result == PmtResult.NOT_ELIGIBLE
    assert Case.objects.get(pk=item.case_id).source == "survey"
    assert Enrolment.objects.get(household=item.target.household).status == EnrolmentStatus.ACTIVE


def test_a_backcheck_form_starts_with_no_answer_chosen(spec):
    from test_neutral_forms import _preselected

    from sijill.survey.forms import BackCheckForm

    assert _preselected(BackCheckForm(spec)) == []
