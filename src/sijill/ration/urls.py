from django.urls import path

from . import portal, views

app_name = "ration"
urlpatterns = [
    path("", views.home, name="home"),
    path("agent/", views.agent_home, name="agent"),
    path("months/", views.months, name="months"),
    path("cycle/", views.cycle, name="cycle"),
    path("cards/<str:number>/", views.card, name="card"),
    path("cards/<str:number>/pin/", views.issue_pin, name="pin"),
    path("blocks/<int:pk>/", views.block, name="block"),
    path("blocks/<int:pk>/notice/", views.notice, name="notice"),
    path("requests/<int:pk>/", views.change_request, name="request"),
    path("requests/<int:pk>/document/", views.document, name="document"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("agents/<str:number>/", views.agent, name="agent_page"),
    path("applications/<int:pk>/licence.pdf", views.licence, name="licence"),
    # public pages
    path("my/", portal.sign_in, name="sign_in"),
    path("my/card/", portal.my_card, name="my_card"),
    path("my/request/", portal.new_request, name="my_request"),
    path("my/notice/<int:pk>/", portal.my_notice, name="my_notice"),
    path("my/out/", portal.sign_out, name="sign_out"),
    path("agents/apply/", portal.apply, name="apply"),
]
