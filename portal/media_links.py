"""Short-lived signed links to private recordings on local disk, checked by
nginx's secure_link module (issue 15).

A player sends a new Range request for every seek. On S3 the permission-checked
view answers once with a presigned URL and the seeks go to the bucket; behind
nginx the view answers once with one of these links and nginx serves the seeks
(location /_media/ in deploy/nginx.conf.template, rendered with this module's
secret and types by deploy/render_nginx.py), the app no longer involved.

The link is what nginx's secure_link_md5 expects:

    /_media/<name>?md5=<digest>&expires=<unix time>
    digest = base64url(md5("<expires><uri> <secret>")), without "=" padding

so it opens one file, until it expires, for whoever holds it (like a presigned
URL): the view that hands it out checks the permission and is never cached.
"""

import base64
import hashlib
import hmac
import time
from urllib.parse import quote

from django.conf import settings

LOCATION = "/_media/"
# What nginx may serve through a link, by extension, with its Content-Type: the
# location's `types` block is rendered from this, and a file whose stored type
# differs from its extension's is never linked (it goes through the view).
TYPES = {"webm": "video/webm", "mp4": "video/mp4"}


def link_secret():
    """The secret nginx shares with the app: MEDIA_LINK_SECRET, else one
    derived from SECRET_KEY (an HMAC, so the config never holds the key)."""
    if settings.MEDIA_LINK_SECRET:
        return settings.MEDIA_LINK_SECRET
    return hmac.new(
        settings.SECRET_KEY.encode(), b"portal.media_links", hashlib.sha256
    ).hexdigest()


def signature(uri, expires):
    """nginx's secure_link_md5 "$secure_link_expires$uri <secret>", as the
    base64url digest (no padding) it compares with the md5 argument."""
    text = f"{expires}{uri} {link_secret()}"
    digest = hashlib.md5(text.encode(), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def can_link(name, content_type):
    """Whether nginx would serve `name` with `content_type` through a link."""
    return TYPES.get(name.rsplit(".", 1)[-1].lower()) == content_type


def signed_link(name, expires=None):
    """The link to stored file `name`, valid until `expires` (a Unix time;
    default MEDIA_URL_EXPIRE_SECONDS from now, as S3's presigned URLs)."""
    if expires is None:
        expires = int(time.time()) + settings.MEDIA_URL_EXPIRE_SECONDS
    # Names are made by the server (portal.storage.unguessable_name): quoting
    # leaves them as they are, and nginx's $uri is the same text.
    uri = LOCATION + name
    return f"{quote(uri)}?md5={signature(uri, expires)}&expires={expires}"
