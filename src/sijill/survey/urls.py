from django.urls import path

from . import manage_views, views

app_name = "survey"
urlpatterns = [
    path("", manage_views.home, name="home"),
    path("mine/", views.mine, name="mine"),
    path("applicants/new/", views.applicant, name="applicant"),
    path("households/<int:pk>/interview/", views.interview_form, name="interview_form"),
    path("upload/", views.upload, name="upload"),
    path("backchecks/<int:pk>/", views.backcheck_form, name="backcheck"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("campaigns/", manage_views.campaign_list, name="campaigns"),
    path("campaigns/<int:pk>/", manage_views.campaign, name="campaign"),
    path("campaigns/<int:pk>/assign/", manage_views.assign, name="assign"),
    path("questionnaires/", manage_views.questionnaires, name="questionnaires"),
    path("questionnaires/<int:pk>/file/", manage_views.questionnaire_file, name="questionnaire_file"),
    path("interviews/", manage_views.interview_list, name="interviews"),
    path("interviews/<int:pk>/", manage_views.interview, name="interview"),
    path("backchecks/select/", manage_views.select_backchecks, name="select_backchecks"),
    path("dashboard/", manage_views.dashboard_view, name="dashboard"),
    path("pmt/", manage_views.pmt_view, name="pmt"),
]
