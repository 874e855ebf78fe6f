"""The address of the client, as far as we can trust it.

REMOTE_ADDR is the peer that opened the connection. Behind a reverse proxy that
peer is the proxy, so the proxy's `X-Forwarded-For` is read, but only when the
peer is one of settings.TRUSTED_PROXY_IPS: anyone can send that header, and a
client that could choose its own address could dodge every per-address limit.
"""

import ipaddress

from django.conf import settings


def _parse(value):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted_networks():
    networks = []
    for entry in settings.TRUSTED_PROXY_IPS:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return networks


def _is_trusted(address, networks):
    return any(address in network for network in networks)


def client_ip(request):
    """The right-most address in the chain that is not one of our proxies."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return "unknown"
    networks = _trusted_networks()
    if not networks or not _is_trusted(peer, networks):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # Each proxy appends the peer it saw; walk back from the end past our own.
    for hop in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _parse(hop)
        if address is None:
            # A garbled hop: stop trusting the chain here.
            return str(peer)
        if not _is_trusted(address, networks):
            return str(address)
        peer = address
    return str(peer)
