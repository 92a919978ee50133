from django.urls import path

app_name = "ration"
urlpatterns: list = []
