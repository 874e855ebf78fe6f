from django.urls import path

from interviews import views

app_name = "interviews"

urlpatterns = [
    path("courses/", views.course_list, name="course_list"),
]
