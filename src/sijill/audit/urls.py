from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.trail, name="trail"),
    path("export.csv", views.export, name="export"),
    path("verify/", views.check, name="verify"),
]
