"""Who sees which cards: a clerk their centre's, an agent the cards they serve, a planner all of them."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Agent, Card, Centre, ClerkPost


def centre_of(user) -> Centre | None:
    post = ClerkPost.objects.select_related("centre").filter(user=user).first()
    return post.centre if post else None


def agent_of(user) -> Agent | None:
    return Agent.objects.filter(user=user).first() if getattr(user, "pk", None) else None


def cards_for(user) -> QuerySet[Card]:
    if user.can("ration_license_agents") or user.role == "administrator":
        return Card.objects.all()
    if user.can("ration_verify_blocks"):
        centre = centre_of(user)
        return Card.objects.filter(centre=centre) if centre else Card.objects.none()
    if user.can("ration_agent_cards"):
        agent = agent_of(user)
        return Card.objects.filter(agent=agent) if agent else Card.objects.none()
    return Card.objects.none()
