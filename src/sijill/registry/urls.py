from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("people/<int:pk>/", views.person, name="person"),
    path("import/", views.import_page, name="import"),
    path("import/<int:pk>/", views.import_run, name="import_run"),
    path("import/<int:pk>/problems.csv", views.import_issues_csv, name="import_issues_csv"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:pk>/", views.pair, name="pair"),
    path("overview/", views.overview, name="overview"),
]
