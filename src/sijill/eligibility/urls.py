from django.urls import path

from . import views

app_name = "eligibility"
urlpatterns = [
    path("rules/", views.rule_list, name="rules"),
    path("rules/<int:pk>/", views.rule, name="rule"),
    path("rules/<int:pk>/in-force/", views.set_in_force, name="in_force"),
]
