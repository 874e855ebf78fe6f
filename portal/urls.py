from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from interviews import views as interview_views
from portal import views

admin.site.site_header = "Video Interview Portal: approval console"
admin.site.site_title = "Approval console"
admin.site.index_title = "What waits for you"
# Five models, all on the index page: the queues need the width more than a sidebar.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", interview_views.dashboard, name="dashboard"),
    path("health", views.health, name="health"),
    path("ping", views.ping, name="ping"),
    path("accounts/", include("accounts.urls")),
    path("", include("payments.urls")),
    path("", include("interviews.urls")),
    # ---- Throttled admin password change (issue 12, finding 2) ----
    # Before the admin's own route, which would check the old password unthrottled.
    path(
        "admin/password_change/",
        account_views.admin_password_change,
        name="admin_password_change",
    ),
    path("admin/", admin.site.urls),
]
# MEDIA_ROOT is deliberately not routed: uploads are served only by
# permission-checked views in the payments and interviews apps.

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"

# ---- Analytics and metrics (issue 19) ----
# Before admin.site.urls, whose catch-all would answer 404 for admin/analytics/.
from interviews.analytics_views import analytics_view  # noqa: E402
from portal.metrics import metrics_view  # noqa: E402

urlpatterns = [
    path(
        "admin/analytics/",
        admin.site.admin_view(analytics_view),
        name="admin_analytics",
    ),
    path("metrics", metrics_view, name="metrics"),
    *urlpatterns,
]
