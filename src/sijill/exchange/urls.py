from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("agencies/<slug:code>/key/", views.agency_key, name="agency_key"),
    path("upload/", views.upload, name="upload"),
    path("cycles/", views.cycle_list, name="cycles"),
    path("cycles/<str:code>/", views.cycle_page, name="cycle"),
    path("cycles/<str:code>/close/", views.cycle_close, name="cycle_close"),
    path("cycles/<str:code>/hits/", views.hit_list, name="hits"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("hits/<int:pk>/", views.hit_page, name="hit"),
    path("review/", views.review_queue, name="review"),
    path("people/<int:pk>/hits/", views.person_hits, name="person_hits"),
]
