"""Login throttling: slow down password guessing without handing attackers a way to
lock real users out for long.

Failed logins are counted in three fixed windows of LOGIN_FAILURE_WINDOW_MINUTES:

- per account *and* address (default 5): the usual case, one person or one bot
  guessing one account. Only that address is refused for that account, so an
  attacker elsewhere does not lock the real user out.
- per account from any address (default 20): a distributed guess at one account.
  This one does lock the account everywhere, for the rest of the window at most.
  One address can never use it up: its attempts are claimed here only after its
  per-account-and-address slot, so it contributes at most that limit (5 of 20),
  and locking a real user out everywhere takes several addresses.
- per address over all accounts (default 20): one address trying many accounts
  (credential stuffing).

Claim, then check, then clear. Every attempt first *claims* a slot in each of the
three counters, and only an attempt that got all three has its password checked;
an attempt that finds a counter full is refused without a check, so guesses made
while refused learn nothing. Claiming has to be atomic across workers, or 30
requests sent at once all read "4 so far" and all get checked. A slot is a cache
key `<counter>:<n>` for n in 1..limit, claimed with `cache.add`, which is atomic
on every backend we use: Redis `SET NX`, the database cache's INSERT into a table
whose primary key is the cache key (the loser's INSERT fails), locmem's lock.
(`cache.incr` would not do: on the database cache it is a read then a write.)

A successful login clears both account counters: it proves the password was
known, and a real user should not inherit an attacker's progress toward a lock.
It gives back its own per-address slot (only failures count there) but never
clears that counter, or an attacker could reset it by logging into an account of
their own between guesses. The password change form checks the old password
through the same account counters (accounts/forms.py).

`python manage.py unlock_login USERNAME` clears one account's counters.
"""

import hashlib
import logging
import math
import secrets
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from portal.clientip import client_ip

logger = logging.getLogger(__name__)

ACCOUNT_ADDRESS = "login-account-address"
ACCOUNT = "login-account"
ADDRESS = "login-address"
# Slots outlive their window by a little so a slow attempt at the boundary still
# finds the slots claimed before it.
_SLACK_SECONDS = 5


@dataclass(frozen=True)
class Counter:
    name: str
    key: str
    limit: int

    @property
    def period(self):
        return settings.LOGIN_FAILURE_WINDOW_MINUTES * 60

    def window(self):
        """(index of the current window, seconds until it ends)."""
        now = time.time()
        index = int(now // self.period)
        return index, max(1, math.ceil((index + 1) * self.period - now))

    def slot_keys(self, index=None):
        index = self.window()[0] if index is None else index
        # Hash the identity: usernames can be long or contain anything.
        digest = hashlib.sha256(self.key.encode()).hexdigest()[:32]
        base = f"login-throttle:{self.name}:{digest}:{index}"
        return [f"{base}:{n}" for n in range(1, self.limit + 1)]

    def claim(self):
        """Claim a free slot: its cache key, or None when the counter is full."""
        index, retry_after = self.window()
        keys = self.slot_keys(index)
        taken = cache.get_many(keys)
        for key in keys:
            if key not in taken and cache.add(key, 1, retry_after + _SLACK_SECONDS):
                return key
        return None

    def clear(self):
        index = self.window()[0]
        # The previous window too: a slot claimed just before the boundary.
        cache.delete_many(self.slot_keys(index) + self.slot_keys(index - 1))


def _account(username):
    return username.strip().lower()


def _generation_key(account):
    digest = hashlib.sha256(account.encode()).hexdigest()[:32]
    return f"login-throttle:generation:{digest}"


def _account_counters(account, address):
    # `unlock` starts a new generation: every counter of the account, whatever
    # the address, is then new and empty.
    generation = cache.get(_generation_key(account), "0")
    return [
        Counter(
            ACCOUNT_ADDRESS,
            f"{account}|{generation}|{address}",
            settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS,
        ),
        Counter(
            ACCOUNT, f"{account}|{generation}", settings.LOGIN_MAX_FAILURES_PER_ACCOUNT
        ),
    ]


def _counters(request, username):
    address = client_ip(request)
    return [
        Counter(ADDRESS, address, settings.LOGIN_MAX_FAILURES_PER_ADDRESS),
        *_account_counters(_account(username), address),
    ]


def _refusal(counter):
    minutes = max(1, math.ceil(counter.window()[1] / 60))
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    if counter.name == ADDRESS:
        return f"Too many failed login attempts from your network. Try again in {wait}."
    return f"Too many failed attempts for this account. Try again in {wait}."


@dataclass
class Attempt:
    """One password check, claimed before it is made."""

    counters: list
    claimed: dict = field(default_factory=dict)  # counter name -> slot key
    refusal: str | None = None

    def succeeded(self):
        """The password was right: clear the account's counters, give back the
        per-address slot."""
        try:
            for counter in self.counters:
                if counter.name == ADDRESS:
                    if counter.name in self.claimed:
                        cache.delete(self.claimed[counter.name])
                else:
                    counter.clear()
        except Exception:
            logger.exception("login throttle: cache unavailable, not cleared")

    def not_counted(self):
        """Not a wrong password (e.g. the right one for an account that may not
        log in here): give back every slot."""
        self._release()

    def _release(self):
        try:
            cache.delete_many(list(self.claimed.values()))
        except Exception:
            logger.exception("login throttle: cache unavailable, not released")
        self.claimed = {}


def _claim(counters):
    """Claim a slot in each counter (a callable returning them), in order."""
    attempt = Attempt([])
    if not settings.RATELIMIT_ENABLED:
        return attempt
    try:
        attempt.counters = counters()
        for counter in attempt.counters:
            slot = counter.claim()
            if slot is None:
                # A refused attempt is not a guess: it takes no slot anywhere.
                attempt._release()
                attempt.refusal = _refusal(counter)
                return attempt
            attempt.claimed[counter.name] = slot
    except Exception:
        # A cache outage must not lock everyone out: fail open, loudly.
        logger.exception("login throttle: cache unavailable, not counted")
    return attempt


def claim_login(request, username):
    """Claim a login attempt before its password is checked. If the returned
    attempt has a `refusal`, refuse with it and do not check the password."""
    return _claim(lambda: _counters(request, username))


def claim_password_check(request, user):
    """The same account counters, for a logged-in user's old-password check."""
    return _claim(
        lambda: _account_counters(_account(user.get_username()), client_ip(request))
    )


def unlock(username):
    """Clear one account's counters, from every address; nothing else."""
    period = settings.LOGIN_FAILURE_WINDOW_MINUTES * 60
    # Outlives every counter of the old generation (they last one window).
    cache.set(
        _generation_key(_account(username)),
        secrets.token_hex(8),
        2 * period + _SLACK_SECONDS,
    )
