from django.urls import path

from . import portal, public, staff, worker

app_name = "damaan"
urlpatterns = [
    # public: no login
    path("", public.front, name="front"),
    path("join/employer/", public.join_employer, name="join_employer"),
    path("join/worker/", public.join_worker, name="join_worker"),
    path("join/voluntary/", public.join_voluntary, name="join_voluntary"),
    path("verify/", public.verify, name="verify"),
    path("verify/<str:number>/", public.verify, name="verify_number"),
    # employers' representatives (and officers, on the establishment pages)
    path("employer/", portal.my_establishments, name="employer"),
    path("employer/new/", portal.new_establishment, name="new_establishment"),
    path("e/<str:number>/", portal.establishment, name="establishment"),
    path("e/<str:number>/correct/", portal.correct, name="correct"),
    path("e/<str:number>/hire/", portal.hire, name="hire"),
    path("e/<str:number>/spell/<int:pk>/end/", portal.end_spell, name="end_spell"),
    path("e/<str:number>/declare/<str:month>/", portal.declare, name="declare"),
    path("e/<str:number>/upload/", portal.upload, name="upload"),
    path("e/<str:number>/pay/", portal.pay, name="pay"),
    path("e/<str:number>/certificate/", portal.request_certificate, name="request_certificate"),
    path("certificate/<str:number>/", portal.certificate, name="certificate"),
    # insured workers
    path("me/", worker.me, name="me"),
    path("me/pay/", worker.voluntary_pay, name="voluntary_pay"),
    path("me/category/", worker.voluntary_category, name="voluntary_category"),
    # the directorate
    path("staff/", staff.dashboard, name="staff"),
    path("staff/e/<str:number>/decide/", staff.decide, name="decide"),
    path("staff/insured/", staff.insured_search, name="insured_search"),
    path("staff/insured/<str:number>/", staff.insured, name="insured"),
    path("staff/duplicates/", staff.duplicates, name="duplicates"),
    path("staff/duplicates/<int:pk>/resolve/", staff.resolve_duplicate, name="resolve_duplicate"),
    path("staff/requests/<int:pk>/decide/", staff.decide_category, name="decide_category"),
    path("staff/declaration/<int:pk>/recompute/", staff.recompute, name="recompute"),
    path("tables/", staff.tables, name="tables"),
]
