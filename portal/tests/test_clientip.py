import pytest
from django.test import RequestFactory

from portal.clientip import client_ip


def _ip(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


def test_it_uses_the_peer_address_by_default():
    assert _ip("203.0.113.7") == "203.0.113.7"


def test_it_ignores_forwarded_for_from_an_untrusted_peer(settings):
    settings.TRUSTED_PROXY_IPS = ["10.0.0.1"]
    assert _ip("203.0.113.7", "1.2.3.4") == "203.0.113.7"


def test_it_takes_the_address_our_proxy_saw(settings):
    settings.TRUSTED_PROXY_IPS = ["10.0.0.1"]
    # The client put 1.2.3.4 there itself; our proxy appended the real peer.
    assert _ip("10.0.0.1", "1.2.3.4, 203.0.113.7") == "203.0.113.7"


def test_it_walks_back_through_a_chain_of_trusted_proxies(settings):
    settings.TRUSTED_PROXY_IPS = ["10.0.0.0/8"]
    assert _ip("10.0.0.1", "1.2.3.4, 203.0.113.7, 10.0.0.9") == "203.0.113.7"


def test_it_falls_back_to_the_last_trusted_hop(settings):
    settings.TRUSTED_PROXY_IPS = ["10.0.0.0/8"]
    assert _ip("10.0.0.1", "10.0.0.5") == "10.0.0.5"
    assert _ip("10.0.0.1") == "10.0.0.1"


@pytest.mark.parametrize("forwarded", ["not-an-ip", "1.2.3.4, garbage", " , "])
def test_a_garbled_header_is_not_believed(settings, forwarded):
    settings.TRUSTED_PROXY_IPS = ["10.0.0.1"]
    result = _ip("10.0.0.1", forwarded)
    assert result in {"10.0.0.1"}


def test_ipv6_works(settings):
    settings.TRUSTED_PROXY_IPS = ["::1"]
    assert _ip("::1", "2001:db8::5") == "2001:db8::5"


def test_a_missing_peer_is_unknown():
    request = RequestFactory().get("/")
    request.META.pop("REMOTE_ADDR", None)
    assert client_ip(request) == "unknown"
