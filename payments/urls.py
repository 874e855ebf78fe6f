from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("courses/<slug:slug>/pay/", views.pay, name="pay"),
    path("payments/<uuid:public_id>/", views.payment_detail, name="payment"),
    path("payments/<uuid:public_id>/status/", views.status, name="status"),
    path("payments/<uuid:public_id>/proof/", views.proof, name="proof"),
]
