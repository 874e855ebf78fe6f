import logging


class RequestContextFilter(logging.Filter):
    """Adds the request path and user id to records that carry a request.

    Only the path and the numeric id: never the body, the query string or headers,
    so passwords and tokens do not reach the logs.
    """

    def filter(self, record):
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            try:
                user = getattr(request, "user", None)
                user_id = getattr(user, "pk", None) if user is not None else None
            except Exception:
                # Loading the user needs the database, which may be what just
                # failed: a log filter that raises turns a friendly 500 page into
                # the server's bare one.
                user_id = "unknown"
            record.msg = f"{record.msg} [path={request.path} user_id={user_id}]"
        return True
