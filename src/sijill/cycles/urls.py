"""The orchestrator's pages, added to the exchange and eligibility namespaces (``sijill.web.urls``) so that their
names (``exchange:cycle_run``, ``eligibility:cycle``) stay where their pages expect them."""

from django.urls import path

from . import views

exchange_patterns = [path("cycles/<str:code>/run/", views.cycle_run, name="cycle_run")]
eligibility_patterns = [path("cycles/<int:pk>/", views.cycle_findings, name="cycle")]
