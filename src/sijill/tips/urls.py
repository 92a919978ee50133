from django.urls import path

from . import views

app_name = "tips"
urlpatterns = [
    path("", views.tip_list, name="list"),
    path("new/", views.record_tip, name="record"),
    path("<int:pk>/", views.tip, name="tip"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/caller/", views.caller, name="caller"),
    path("status/", views.status, name="status"),
]
