from django.core.exceptions import PermissionDenied

# No inline scripts anywhere. The admin's own templates carry a few inline styles,
# so styles are relaxed there only.
SITE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
ADMIN_CSP = SITE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            admin = request.path.startswith("/admin/")
            response["Content-Security-Policy"] = ADMIN_CSP if admin else SITE_CSP
        return response


class StaffOnlyAdminMiddleware:
    """A logged-in student who opens /admin/ gets 403, not the admin login form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            request.path.startswith("/admin/")
            and user is not None
            and user.is_authenticated
            and not user.is_staff
        ):
            raise PermissionDenied("Students cannot open the approval console.")
        return self.get_response(request)
