"""Stand-ins for the desktop's keyring (none runs on these machines): in memory, slow,
refusing.  Defining a backend registers it for keyring's automatic choice, so each is taken
out of that again; tests install them with ``installed(backend)``."""

import contextlib
import threading
import time

import keyring
import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring kept in a dict; ``calls`` counts what was asked of it."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.passwords = {}
        self.calls = 0
        self._lock = threading.Lock()

    def get_password(self, service, username):
        self._count()
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self._count()
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self._count()
        self.passwords.pop((service, username))

    def _count(self):
        with self._lock:
            self.calls += 1


class SlowKeyring(MemoryKeyring):
    """A keyring daemon that takes ``delay`` seconds to answer each call (a busy Secret
    Service, an unlock prompt)."""

    def __init__(self, delay=0.4):
        super().__init__()
        self.delay = delay

    def _count(self):
        time.sleep(self.delay)
        super()._count()


class LockedKeyring(MemoryKeyring):
    """A keyring that is there but refuses (locked, prompt dismissed)."""

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringLocked("the collection is locked")


class RefusingOnceKeyring(MemoryKeyring):
    """A keyring that refuses the first secret stored for profile ``profile``."""

    def __init__(self, profile):
        super().__init__()
        self.profile, self.refused = profile, False

    def set_password(self, service, username, password):
        if username.startswith(f"{self.profile}/") and not self.refused:
            self.refused = True
            raise keyring.errors.KeyringLocked("the collection is locked")
        super().set_password(service, username, password)


for _backend in (MemoryKeyring, SlowKeyring, LockedKeyring, RefusingOnceKeyring):
    keyring.backend.KeyringBackend._classes.discard(_backend)


@contextlib.contextmanager
def installed(backend):
    """``backend`` as the keyring for the block, the previous one restored after."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
