"""A URL that fails at any path, for the logging tests."""

from django.urls import path


def boom(request, anything):
    raise RuntimeError("the view failed")


urlpatterns = [path("<path:anything>", boom)]
