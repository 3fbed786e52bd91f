"""Where a profile's secrets live: the desktop's keyring, else (with a warning) the profile file.

With a usable ``keyring`` backend (Secret Service, KWallet, macOS Keychain, Windows Credential
Locker) the admin API key and the secret access key are kept under the service ``ramo`` as
``<profile name>/admin_key`` and ``<profile name>/secret_key``.  Without one (a headless machine,
no keyring daemon) they are kept in plain text in the ``secrets`` section of the profile file,
which is only readable by its owner, and ``SecretStore.warning`` says so.
"""

from __future__ import annotations

import secrets as _random
import threading
from typing import TYPE_CHECKING

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail, null

from ramogui.client.errors import ClientError
from ramogui.client.profiles import Secrets

if TYPE_CHECKING:
    from ramogui.client.profile_store import ProfileFile

SERVICE = "ramo"
FIELDS = ("admin_key", "secret_key")
_PROBE_USER = "ramo-keyring-probe"


class SecretStoreError(ClientError):
    """The keyring refused to store or give back a secret (locked, access denied)."""


def usable_keyring() -> keyring.backend.KeyringBackend | None:
    """The desktop's keyring if one really works (a round trip succeeds), else ``None``."""
    return probe_keyring()[0]


def probe_keyring() -> tuple[keyring.backend.KeyringBackend | None, str | None]:
    """``(keyring, None)`` if the desktop's keyring works; ``(None, None)`` if there is none;
    ``(None, why)`` if there is one but it failed (locked, access refused)."""
    backend = keyring.get_keyring()
    try:
        if isinstance(backend, (fail.Keyring, null.Keyring)) or backend.priority <= 0:
            return None, None
    except Exception:  # noqa: BLE001 - a backend that can't even say its priority
        return None, None
    try:
        token = _random.token_hex(8)
        backend.set_password(SERVICE, _PROBE_USER, token)
        works = backend.get_password(SERVICE, _PROBE_USER) == token
        backend.delete_password(SERVICE, _PROBE_USER)
    except Exception as exc:  # noqa: BLE001 - any failure of a real keyring is reported
        return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return (backend, None) if works else (None, "it gave back a different secret")


class SecretStore:
    """Load and save the ``Secrets`` of named profiles.

    :param file: the profile file; holds the secrets when there is no keyring.
    :param backend: the keyring to use; default: the desktop's, if ``probe_keyring`` finds it
        working (probed on first use).
    """

    def __init__(self, file: ProfileFile, backend: keyring.backend.KeyringBackend | None = None):
        self._file = file
        self._lock = threading.Lock()
        self._probed = backend is not None
        self._keyring, self._keyring_error = backend, None

    def _backend(self) -> keyring.backend.KeyringBackend | None:
        """The keyring to use, probed on first need: a keyring daemon can be slow to answer
        (or wait for an unlock prompt), so the first call belongs off the GUI thread."""
        with self._lock:
            if not self._probed:
                self._keyring, self._keyring_error = probe_keyring()
                self._probed = True
        return self._keyring

    @property
    def in_keyring(self) -> bool:
        """Whether secrets go to the desktop's keyring."""
        return self._backend() is not None

    @property
    def warning(self) -> str | None:
        """A sentence for the person when secrets are kept in plain text, else ``None``."""
        if self.in_keyring:
            return None
        if self._keyring_error:
            return (f"The desktop keyring is not answering ({self._keyring_error}): secrets "
                    "can't be saved until it is unlocked; restart ramogui once it is.")
        return ("No desktop keyring is available: the admin API key and secret key are stored "
                f"in plain text in {self._file.path} (readable only by your user).")

    def load(self, name: str) -> Secrets | None:
        """The secrets of profile ``name``; ``None`` if none are stored."""
        if self._backend() is not None:
            values = {field: self._get(name, field) for field in FIELDS}
            if any(value is not None for value in values.values()):
                return Secrets(**{field: value or "" for field, value in values.items()})
        stored = self._file.read().get("secrets", {}).get(name)
        if not isinstance(stored, dict):
            return None
        return Secrets(**{field: str(stored.get(field) or "") for field in FIELDS})

    def save(self, name: str, secrets: Secrets) -> None:
        """Store the secrets of profile ``name``, replacing any earlier ones."""
        backend = self._backend()
        if backend is not None:
            for field in FIELDS:
                self._call(backend.set_password, SERVICE, _user(name, field),
                           getattr(secrets, field))
            self._drop_from_file(name)        # plain-text copies from a time without keyring
            return
        if self._keyring_error:
            raise SecretStoreError(
                f"Not saving secrets in plain text while the desktop keyring fails "
                f"({self._keyring_error}); unlock it and restart ramogui.")
        document = self._file.read_for_update()
        document.setdefault("secrets", {})[name] = {field: getattr(secrets, field)
                                                    for field in FIELDS}
        self._file.write(document)

    def delete(self, name: str) -> None:
        """Forget the secrets of profile ``name`` (nothing happens if there are none)."""
        backend = self._backend()
        if backend is not None:
            for field in FIELDS:
                if self._get(name, field) is not None:
                    self._call(backend.delete_password, SERVICE, _user(name, field))
        self._drop_from_file(name)

    def rename(self, old: str, new: str) -> None:
        """Move the secrets of profile ``old`` to ``new`` (stored under the new name before
        the old copy goes, so a refusal halfway loses nothing)."""
        secrets = self.load(old)
        if secrets is not None:
            self.save(new, secrets)
            self.delete(old)

    def _get(self, name: str, field: str) -> str | None:
        return self._call(self._backend().get_password, SERVICE, _user(name, field))

    def _drop_from_file(self, name: str) -> None:
        document = self._file.read_for_update()
        if name in document.get("secrets", {}):
            del document["secrets"][name]
            self._file.write(document)

    @staticmethod
    def _call(method, *args):
        try:
            return method(*args)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"The desktop keyring refused: {exc or type(exc).__name__}"
                                   ) from exc


def _user(name: str, field: str) -> str:
    return f"{name}/{field}"
