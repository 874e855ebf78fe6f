"""Login throttling: slow down password guessing without handing attackers a way to
lock real users out for long.

Failed logins are counted in three fixed windows of LOGIN_FAILURE_WINDOW_MINUTES:

- per account *and* address (default 5): the usual case, one person or one bot
  guessing one account. Only that address is refused for that account, so an
  attacker elsewhere does not lock the real user out.
- per account from any address (default 20): a distributed guess at one account.
  This one does lock the account everywhere, for the rest of the window at most.
- per address over all accounts (default 20): one address trying many accounts
  (credential stuffing).

A refused attempt is refused before the password is checked, so guesses made while
refused learn nothing. A successful login clears both account counters: it proves
the password was known, and a real user should not inherit an attacker's progress
toward a lock. The per-address counter is never cleared by a success, or an attacker
could reset it by logging into an account of their own between guesses.
"""

from django.conf import settings

from portal import ratelimit
from portal.clientip import client_ip
from portal.ratelimit import Rate

ACCOUNT_ADDRESS = "login-account-address"
ACCOUNT = "login-account"
ADDRESS = "login-address"


def _rate(limit):
    return Rate(limit, settings.LOGIN_FAILURE_WINDOW_MINUTES * 60)


def _limits(request, username):
    account = username.strip().lower()
    address = client_ip(request)
    return [
        (ADDRESS, address, _rate(settings.LOGIN_MAX_FAILURES_PER_ADDRESS)),
        (
            ACCOUNT_ADDRESS,
            f"{account}|{address}",
            _rate(settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS),
        ),
        (ACCOUNT, account, _rate(settings.LOGIN_MAX_FAILURES_PER_ACCOUNT)),
    ]


def _wait(usage):
    minutes = usage.retry_after_minutes
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def refusal(request, username):
    """The message to show if this login attempt must be refused, else None."""
    if not settings.RATELIMIT_ENABLED:
        return None
    for name, key, rate in _limits(request, username):
        usage = ratelimit.peek(name, key, rate)
        if usage.count >= rate.limit:
            if name == ADDRESS:
                return (
                    "Too many failed login attempts from your network. "
                    f"Try again in {_wait(usage)}."
                )
            return (
                "Too many failed attempts for this account. "
                f"Try again in {_wait(usage)}."
            )
    return None


def record_failure(request, username):
    if not settings.RATELIMIT_ENABLED:
        return
    for name, key, rate in _limits(request, username):
        ratelimit.hit(name, key, rate)


def record_success(request, username):
    for name, key, rate in _limits(request, username):
        if name != ADDRESS:
            ratelimit.clear(name, key, rate)
