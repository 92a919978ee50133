"""No form leans toward stopping a benefit: no outcome, recommendation, condition or decision is chosen in
advance. Every form class of Sijill's apps (cases, tips, and the ration and Damaan apps when installed, and
all the others) is walked, and the pages that carry hand-written choices are rendered as their users see
them: a required choice starts empty, no radio button or box is ticked, no option is selected."""

from __future__ import annotations

import importlib
import pkgutil
from html.parser import HTMLParser

import pytest
from conftest import make_user
from django import forms
from field import checklist_answers
from test_eligibility_fixtures import AS_OF, world_fixture  # noqa: F401 - the `world` fixture

import sijill

# Choices that decide nothing about anyone, each with the reason a reviewer can check.
NOT_CONSEQUENTIAL: dict[str, str] = {
    "UserAdminForm.is_active": "an account the administrator creates is active: it concerns staff, not benefits",
}
# Forms whose constructor needs arguments: the arguments a page passes.
ARGUMENTS = {"ImportForm": {"max_bytes": 1_000_000}, "RuleChangeForm": {"kind": "record"}}


def _form_classes() -> list[type[forms.BaseForm]]:
    for app in pkgutil.iter_modules(sijill.__path__):
        for name in ("forms",):
            try:
                importlib.import_module(f"sijill.{app.name}.{name}")
            except ModuleNotFoundError:
                continue
    found, todo = [], [forms.Form, forms.ModelForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("sijill.") and not sub.__name__.startswith("_"):
                found.append(sub)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__name__}")


def _preselected(form: forms.BaseForm) -> list[str]:
    """The fields of an unbound form that come with an answer already chosen."""
    wrong = []
    for name, field in form.fields.items():
        key = f"{type(form).__name__}.{name}"
        if key in NOT_CONSEQUENTIAL or isinstance(field.widget, forms.HiddenInput):
            continue
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                wrong.append(f"{key}: ticked in advance")
        elif isinstance(field, forms.ChoiceField) and not isinstance(
                field, (forms.MultipleChoiceField, forms.ModelMultipleChoiceField)):
            choices = [c[0] for c in field.choices]
            if value not in (None, ""):
                wrong.append(f"{key}: starts as {value!r}")
            elif not isinstance(field.widget, forms.RadioSelect) and choices and choices[0] not in ("", None):
                wrong.append(f"{key}: a drop-down whose first option {choices[0]!r} is chosen by the browser")
    return wrong


def test_the_walk_finds_the_forms_of_cases_and_tips():
    names = {c.__name__ for c in _form_classes()}
    assert {"VisitForm", "OutcomeForm", "ResponseForm", "ReferralForm", "TipForm"} <= names


@pytest.mark.django_db
def test_no_form_class_starts_with_a_consequential_choice_made():
    wrong = []
    for cls in _form_classes():
        form = cls(**ARGUMENTS.get(cls.__name__, {}))
        wrong += [f"{cls.__module__}.{w}" for w in _preselected(form)]
    assert not wrong, "\n".join(wrong)


class _Choices(HTMLParser):
    """Every <select> with what the browser shows chosen, and every ticked radio button or box."""

    def __init__(self):
        super().__init__()
        self.selects: list[dict] = []
        self.ticked: list[str] = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "select":
            self._select = {"name": a.get("name"), "options": [], "selected": None}
            self.selects.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            if "selected" in a:
                self._select["selected"] = a.get("value", "")
        elif tag == "input" and a.get("type") in ("radio", "checkbox") and "checked" in a:
            self.ticked.append(f"{a.get('name')}={a.get('value')}")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _chosen_in_advance(html: str) -> list[str]:
    page = _Choices()
    page.feed(html)
    wrong = [f"ticked: {t}" for t in page.ticked]
    for s in page.selects:
        shown = s["selected"] if s["selected"] is not None else (s["options"][0] if s["options"] else "")
        if shown:
            wrong.append(f"select {s['name']} shows {shown!r}")
    return wrong


@pytest.mark.django_db
def test_the_pages_of_a_case_show_no_answer_chosen(world, client):
    from sijill.cases import notices, visits, workflow
    from sijill.cases.models import Case, Outcome
    from sijill.cycles.orchestrator import evaluate

    evaluate(world.cycle, actor="test", as_of=AS_OF)
    worker = make_user("caseworker", "cw", governorates=["بغداد"])
    researcher = make_user("field_researcher", "fr", governorates=["بغداد"])
    case = Case.objects.get(person=world.widow)
    pages = []
    client.force_login(worker)
    pages.append(("case opened", client.get(f"/cases/{case.pk}/")))
    workflow.assign(case, researcher, actor=worker, reason="تكليف")
    client.force_login(researcher)
    pages.append(("visit form", client.get(f"/cases/visits/{case.pk}/")))
    visits.submit(case, researcher, {"household_present": "true", **checklist_answers(case)})
    client.force_login(worker)
    pages.append(("case visited", client.get(f"/cases/{case.pk}/")))
    workflow.propose(case, Outcome.CONFIRMED, actor=worker, reason="ثبت")
    notices.issue_notice(case, actor=worker)
    pages.append(("notice sent", client.get(f"/cases/{case.pk}/")))
    workflow.response(case, actor=worker, reason="رد", replied=True)
    pages.append(("response", client.get(f"/cases/{case.pk}/")))
    from sijill.cases import decisions

    decider = make_user("caseworker", "cw-2", governorates=["بغداد"])  # four eyes: not the proposer
    decisions.decide(case, Outcome.CONFIRMED, actor=decider, reason="قرار")
    pages.append(("decided (recovery, referral)", client.get(f"/cases/{case.pk}/")))
    client.force_login(make_user("hotline_operator", "hotline"))
    pages.append(("tip form", client.get("/tips/new/")))
    wrong = []
    for what, response in pages:
        assert response.status_code == 200, what
        wrong += [f"{what}: {w}" for w in _chosen_in_advance(response.content.decode())]
    assert not wrong, "\n".join(wrong)
