from django.urls import path

from . import referral_views, views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("assign/", views.assign, name="assign"),
    path("<int:pk>/", views.case, name="case"),
    path("<int:pk>/refer/", referral_views.refer, name="refer"),
    path("referrals/<int:pk>/status/", referral_views.referral_status, name="referral_status"),
    path("referrals/<int:pk>.pdf", referral_views.referral_pdf, name="referral_pdf"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
    path("notices/<int:pk>.pdf", views.notice_pdf, name="notice_pdf"),
    path("visits/", views.my_visits, name="visits"),
    path("visits/<int:pk>/", views.visit_form, name="visit"),
    path("visits/upload/", views.visit_upload, name="visit_upload"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("replies/documents/<int:pk>/", views.reply_attachment, name="reply_attachment"),
]
