import errno
import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import JsonResponse
from django.shortcuts import render

from portal.http import body_limit_for
from portal.sessions import SessionCacheError
from portal.storage import media_origin

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
        self.site_csp, self.admin_csp = SITE_CSP, ADMIN_CSP
        # ---- Object storage (issue 15) ----
        # On S3, videos, posters and proofs load from the bucket's signed URLs.
        origin = media_origin()
        if origin:
            self.site_csp, self.admin_csp = (
                csp.replace("img-src 'self'", f"img-src 'self' {origin}").replace(
                    "media-src 'self'", f"media-src 'self' {origin}"
                )
                for csp in (SITE_CSP, ADMIN_CSP)
            )

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            admin = request.path.startswith("/admin/")
            response["Content-Security-Policy"] = (
                self.admin_csp if admin else self.site_csp
            )
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


class IdleSessionTimeoutMiddleware:
    """Log out a session that has not been used for SESSION_IDLE_TIMEOUT_SECONDS.

    The time of the last use is kept in the session, written at most once a minute
    so that ordinary page views do not each write the session. Writing it also
    pushes the session's expiry forward, so an active user is never cut off.
    Background JSON requests (status polls) are checked but do not count as use:
    a tab left open on a waiting page must not keep a session alive forever.
    Only requests that carry a session cookie are looked at, so /health and the
    anonymous pages never touch the session store.
    """

    LAST_ACTIVITY_KEY = "_last_activity"
    WRITE_EVERY_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES and SESSION_KEY in (
            request.session
        ):
            try:
                self._check(request)
            except SessionCacheError:
                return session_not_ended(request)
        return self.get_response(request)

    def _check(self, request):
        now = int(time.time())
        last = request.session.get(self.LAST_ACTIVITY_KEY)
        if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT_SECONDS:
            logout(request)  # SessionCacheError: see __call__
            messages.info(
                request,
                "You were logged out after a period without activity. "
                "Log in again to continue.",
            )
            return
        background = request.method in ("GET", "HEAD") and "application/json" in (
            request.headers.get("accept", "")
        )
        if last is None or (not background and now - last >= self.WRITE_EVERY_SECONDS):
            request.session[self.LAST_ACTIVITY_KEY] = now


logger = logging.getLogger(__name__)

# The disk under MEDIA_ROOT is full, read-only or failing: not the visitor's fault.
STORAGE_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.EIO,
    errno.ENOTDIR,
}


def _storage_failed(exception):
    if isinstance(exception, OSError) and exception.errno in STORAGE_ERRNOS:
        return True
    # ---- Object storage (issue 15): the bucket unreachable, failing or
    # refusing our keys (a missing file is FileNotFoundError, not this) ----
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exception, BotoCoreError | ClientError)


STORAGE_MESSAGE = (
    "We could not store your file just now, so nothing was saved. "
    "Please try again in a few minutes."
)


class StorageUnavailableMiddleware:
    """Turn a failing upload folder into a clear 503 instead of a bare 500.

    The views save files inside the transaction that creates their row, so when
    the write fails the row is rolled back, and the private storage removes a
    half-written file (portal/storage_backends.py): nothing is half-saved, and the
    visitor is told to try again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, SessionCacheError):
            return session_not_ended(request)
        if not _storage_failed(exception):
            return None
        logger.error(
            "storage unavailable on %s %s: %s", request.method, request.path, exception
        )
        from portal.ratelimit import wants_json

        if wants_json(request):
            response = JsonResponse({"error": STORAGE_MESSAGE}, status=503)
        else:
            response = render(
                request,
                "error.html",
                {
                    "status": 503,
                    "title": "We could not save your file",
                    "message": STORAGE_MESSAGE,
                },
                status=503,
            )
        response["Retry-After"] = "120"
        return response


def session_not_ended(request):
    """The session could not be ended (portal/sessions.py): say so, try again."""
    logger.error(
        "session not ended on %s %s: cache unavailable", request.method, request.path
    )
    response = render(
        request,
        "error.html",
        {
            "status": 503,
            "title": "We could not log you out",
            "message": (
                "Your session could not be ended just now, so you are still "
                "logged in. Please try again in a minute."
            ),
        },
        status=503,
    )
    response["Retry-After"] = "60"
    return response


class PrivateCacheControlMiddleware:
    """`Cache-Control: private, no-store` on every response to a logged-in user.

    Personal pages, JSON polls and private files (proofs, recordings) must not
    stay in a shared proxy or in the browser's cache after logout on a shared
    computer. A response that already says no-store (never_cache) keeps its own
    header; any other caching a view asked for is overridden. Only requests
    with a session cookie (or that just logged in) are looked at, so anonymous
    pages never load a user for this.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _is_authenticated(request, response) and "no-store" not in response.get(
            "Cache-Control", ""
        ):
            response["Cache-Control"] = "private, no-store"
        return response


def _is_authenticated(request, response):
    cookie = settings.SESSION_COOKIE_NAME
    # A login sets the cookie on its response; no cookie at all, no user.
    if cookie not in request.COOKIES and cookie not in response.cookies:
        return False
    try:
        user = getattr(request, "user", None)
        return user is not None and user.is_authenticated
    except Exception:
        # The user could not be loaded (the cache or database is down): the
        # response is an error page; keep it private.
        return True


class RequestBodyLimitMiddleware:
    """413 for a body larger than its view accepts, before anything reads it.

    Listed before SessionMiddleware and CsrfViewMiddleware, so its process_view
    runs first: an anonymous 400 MB POST to the login page is refused from its
    Content-Length, not spooled to disk and then refused by CSRF. The limit is
    settings.REQUEST_MAX_BYTES (the largest form: a payment proof and its
    fields) unless the view allows more with portal.http.body_limit. A body
    without a Content-Length (chunked) is never read by Django's WSGI request
    (its stream is limited to the declared length, none), and
    BodyLimitUploadHandler stops a multipart body at the limit if one is ever
    fed to the parser without a trustworthy length.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        request.body_limit = limit = body_limit_for(view)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            logger.warning(
                "request body refused on %s %s: %d bytes declared, limit %d",
                request.method,
                request.path,
                declared,
                limit,
            )
            return payload_too_large(request, limit)
        return None


class BodyLimitUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: stops a multipart body once more bytes
    have arrived than the view accepts, whatever Content-Length said."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        limit = getattr(self.request, "body_limit", None)
        if limit is not None and self.received > limit:
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def payload_too_large(request, limit):
    from portal.ratelimit import wants_json

    megabytes = (
        f"{limit / (1024 * 1024):.0f} MB"
        if limit >= 1024 * 1024
        else (f"{limit // 1024} KB")
    )
    message = f"What you sent is too large: the limit here is {megabytes}."
    if wants_json(request):
        response = JsonResponse(
            {"error": message, "code": "too_large", "max_bytes": limit}, status=413
        )
    else:
        response = render(request, "413.html", {"message": message}, status=413)
    return response
