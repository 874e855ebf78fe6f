"""A password hasher for the tests that counts the passwords it checks."""

import threading

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingMD5PasswordHasher(MD5PasswordHasher):
    """MD5 (the tests' fast hasher), counting every verify() across threads."""

    checks = 0
    _lock = threading.Lock()

    def verify(self, password, encoded):
        with CountingMD5PasswordHasher._lock:
            CountingMD5PasswordHasher.checks += 1
        return super().verify(password, encoded)
