"""File responses that honour HTTP Range requests, so media players can seek."""

import re
from urllib.parse import quote

from django.conf import settings
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)

from portal import media_links
from portal.storage import is_object_storage

CHUNK_SIZE = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header, size):
    """The (start, end) byte positions, inclusive, asked for by a Range header.

    None means "send the whole file" (no header, or one we do not handle, such as
    several ranges; RFC 9110 lets a server ignore Range). Raises ValueError when
    the range cannot be satisfied.
    """
    match = _RANGE.match((header or "").strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # "bytes=-500": the last 500 bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise ValueError("range starts past the end")
    return start, min(end, size - 1)


def _read_slice(handle, start, length):
    try:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK_SIZE, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def ranged_file_response(request, storage, name, content_type):
    """Serve a stored file privately: 200 with the whole file, 206 with the part a
    Range header asks for, 416 when that part does not exist."""
    size = storage.size(name)
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except ValueError:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        handle = storage.open(name, "rb")
        if byte_range is None:
            response = FileResponse(handle, content_type=content_type)
            response["Content-Length"] = str(size)
        else:
            start, end = byte_range
            length = end - start + 1
            response = StreamingHttpResponse(
                _read_slice(handle, start, length),
                status=206,
                content_type=content_type,
            )
            response["Content-Length"] = str(length)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


# ---- Private files without app threads (issue 15) ----


def private_file_response(
    request,
    storage,
    name,
    content_type,
    cache_control="private, no-store",
    *,
    playback=False,
):
    """Serve a stored file the caller may see, choosing who sends the bytes:

    - in a bucket, the bucket: a 302 to a signed URL valid for
      MEDIA_URL_EXPIRE_SECONDS, which makes S3 answer with our content type,
      disposition and caching (Range requests go to S3 too);
    - on local disk behind nginx (MEDIA_ACCEL_REDIRECT), nginx: for a recording
      a player seeks in (`playback`, with MEDIA_SIGNED_LINKS), a 302 to a link
      nginx checks itself, valid as long (portal/media_links.py), so the seeks
      skip this process; for anything else an empty answer whose
      X-Accel-Redirect points at nginx's internal /_protected/ location;
    - otherwise this process, with Range support (ranged_file_response).

    The permission check is the caller's, before this; the redirect itself is
    never cached, so a revoked permission is outlived by a handed-out link for
    MEDIA_URL_EXPIRE_SECONDS at most.
    """
    if is_object_storage(storage):
        url = storage.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": "inline",
                "ResponseCacheControl": cache_control,
            },
            expire=settings.MEDIA_URL_EXPIRE_SECONDS,
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    if (
        settings.MEDIA_ACCEL_REDIRECT
        and playback
        and settings.MEDIA_SIGNED_LINKS
        and media_links.can_link(name, content_type)
    ):
        response = HttpResponseRedirect(media_links.signed_link(name))
        response["Cache-Control"] = "private, no-store"
        return response
    if settings.MEDIA_ACCEL_REDIRECT:
        # nginx keeps this response's Content-Type, Content-Disposition and
        # Cache-Control for the file; its location adds no Cache-Control.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = "/_protected/" + quote(name)
        response["Content-Disposition"] = "inline"
        response["Cache-Control"] = cache_control
        return response
    response = ranged_file_response(request, storage, name, content_type)
    response["Cache-Control"] = cache_control
    return response


# ---- Request body limits (issue 12, finding 3) ----
# RequestBodyLimitMiddleware (portal/middleware.py) refuses, from Content-Length
# and before anything reads the body (CSRF, sessions, the form), a body larger
# than its view allows: settings.REQUEST_MAX_BYTES unless the view says more.


def body_limit(nbytes):
    """Allow request bodies up to `nbytes` (an int, or the name of a setting read
    at request time) on this view. Put it outermost, above @login_required:

        @body_limit("ANSWER_CHUNK_MAX_BYTES")
        @login_required
        @require_POST
        def answer_chunk(request, ...): ...

    The view still runs its own checks (login, rate limit, the upload's own size
    check) before it reads the body; this only sets the ceiling for it.
    """

    def decorator(view):
        view.body_limit = nbytes
        return view

    return decorator


def body_limit_for(view):
    """The largest body, in bytes, that `view` accepts."""
    limit = getattr(view, "body_limit", None)
    if limit is None:
        return settings.REQUEST_MAX_BYTES
    return getattr(settings, limit) if isinstance(limit, str) else limit
