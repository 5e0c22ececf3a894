from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.my_tasks, name="my_tasks"),
    path("new/", views.activity_create, name="create"),
    path("deal/<int:deal_pk>/new/", views.deal_activity_create, name="deal_create"),
    path("contact/<int:contact_pk>/new/", views.contact_activity_create, name="contact_create"),
    path("<int:pk>/done/", views.activity_done, name="done"),
    path("<int:pk>/undo/", views.activity_undo, name="undo"),
]
