"""The site's URLs plus one view that fails, for portal/tests/test_sentry.py."""

import logging

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal.urls import urlpatterns as site_urlpatterns

logger = logging.getLogger("portal.emails")


class SentryProbeError(Exception):
    pass


@csrf_exempt  # the report is what is tested, not the form
def fail(request, token):
    typed = request.POST.get("password")  # a local the report must not carry
    # As portal/emails.py logs: a breadcrumb, then an event of its own.
    logger.info("email %s sent to %s", "payment:1", "priya.sharma@example.com")
    logger.error("email %s to %s: giving up", "payment:2", "priya.sharma@example.com")
    raise SentryProbeError(f"the probe failed ({len(typed or '')} characters)")


urlpatterns = [path("probe/<str:token>/", fail), *site_urlpatterns]
