"""The links to recordings that nginx checks with secure_link (issue 15,
portal/media_links.py). tests/hardening/test_protected_files.py proves them
against real nginx; these pin the format and the secret."""

import hmac
import time
from urllib.parse import parse_qs, urlsplit

from portal import media_links

SECRET = "0123456789abcdef0123456789abcdef"


def test_the_signature_is_the_one_nginx_computes(settings):
    settings.MEDIA_LINK_SECRET = SECRET

    # printf '%s' '2147483647/_media/answers/ab/0123.webm <SECRET>' |
    #   openssl md5 -binary | openssl base64 | tr +/ -_ | tr -d =
    # (the recipe in nginx's secure_link documentation)
    assert (
        media_links.signature("/_media/answers/ab/0123.webm", 2147483647)
        == "tJV8Ia7bYQsDZ3ADyTg32w"
    )


def test_a_link_names_the_file_its_signature_and_its_expiry(settings):
    settings.MEDIA_LINK_SECRET = SECRET

    link = media_links.signed_link("answers/ab/0123.webm", expires=2147483647)

    assert (
        link
        == "/_media/answers/ab/0123.webm?md5=tJV8Ia7bYQsDZ3ADyTg32w&expires=2147483647"
    )


def test_a_link_lives_as_long_as_a_presigned_url(settings):
    settings.MEDIA_URL_EXPIRE_SECONDS = 120
    before = int(time.time())

    query = parse_qs(urlsplit(media_links.signed_link("answers/a.webm")).query)

    assert before + 120 <= int(query["expires"][0]) <= int(time.time()) + 120


def test_links_to_two_files_differ(settings):
    settings.MEDIA_LINK_SECRET = SECRET

    first = media_links.signature("/_media/answers/a.webm", 2147483647)
    second = media_links.signature("/_media/answers/b.webm", 2147483647)

    assert first != second


def test_without_a_setting_the_secret_is_derived_from_secret_key(settings):
    settings.MEDIA_LINK_SECRET = ""
    settings.SECRET_KEY = "k" * 50

    secret = media_links.link_secret()

    assert secret == hmac.new(b"k" * 50, b"portal.media_links", "sha256").hexdigest()
    assert settings.SECRET_KEY not in secret
    settings.SECRET_KEY = "j" * 50
    assert media_links.link_secret() != secret


def test_only_videos_whose_type_matches_their_extension_are_linked():
    assert media_links.can_link("answers/a.webm", "video/webm")
    assert media_links.can_link("answers/a.mp4", "video/mp4")
    assert not media_links.can_link("answers/a.webm", "video/mp4")
    assert not media_links.can_link("proofs/a.png", "image/png")
