from django.urls import path

from interviews import views

app_name = "interviews"

urlpatterns = [
    path("courses/", views.course_list, name="course_list"),
    # Scheduling (issue 4)
    path("courses/states/", views.card_states, name="card_states"),
    path("courses/<slug:slug>/request/", views.request_interview, name="request"),
    path("interviews/", views.my_interviews, name="my_interviews"),
    path("interviews/<uuid:public_id>/cancel/", views.cancel, name="cancel"),
]
