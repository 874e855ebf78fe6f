import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Load the URL conf (and with it every view module) at boot, not on the first
# request: the first visitor is not slowed down and /health's uptime is right.
import portal.urls  # noqa: E402,F401
