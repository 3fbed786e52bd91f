"""The connection profiles on disk: one JSON file, written atomically, readable only by its owner.

The file is ``$RAMO_GUI_CONFIG_DIR/profiles.json``, else ``$XDG_CONFIG_HOME/ramo/profiles.json``,
else ``~/.config/ramo/profiles.json``::

    {"last_used": "local",
     "profiles": [{"name": "local", "s3_url": "http://127.0.0.1:9000", ...}],
     "secrets": {"local": {"admin_key": "...", "secret_key": "..."}}}

``secrets`` is only there when no desktop keyring is available (see ``secret_store``).
"""

import dataclasses
import json
import os
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from ramogui.client.errors import ClientError
from ramogui.client.profiles import DEFAULT_REGION, Profile, Secrets
from ramogui.client.secret_store import SecretStore

FILE_NAME = "profiles.json"
MAX_NAME_LENGTH = 64


class ProfileError(ClientError):
    """A profile that can't be saved as it is, or a profile file that can't be read."""


def config_dir() -> Path:
    """The directory of the app's settings."""
    if os.environ.get("RAMO_GUI_CONFIG_DIR"):
        return Path(os.environ["RAMO_GUI_CONFIG_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "ramo"


def check_url(url: str, what: str) -> str:
    """``url`` without surrounding blanks and trailing ``/``, if it is an http(s) URL with a
    host and a valid port; else ``ProfileError`` naming ``what`` (e.g. "The S3 endpoint")."""
    url = url.strip().rstrip("/")
    example = "e.g. http://127.0.0.1:9000"
    if not url:
        raise ProfileError(f"{what} is empty: enter a URL, {example}.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ProfileError(f"{what} “{url}” must start with http:// or https://, {example}.")
    if not parts.hostname:
        raise ProfileError(f"{what} “{url}” has no host name, {example}.")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        raise ProfileError(f"{what} “{url}” has a bad port: a port is a number from 1 to 65535.")
    if parts.query or parts.fragment:
        raise ProfileError(f"{what} “{url}” must not have a query (?...) or fragment (#...).")
    return url


def check_name(name: str) -> str:
    """A profile name without surrounding blanks, or ``ProfileError``."""
    name = name.strip()
    if not name:
        raise ProfileError("Give the profile a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise ProfileError(f"A profile name has at most {MAX_NAME_LENGTH} characters.")
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise ProfileError("A profile name must not contain control characters.")
    return name


def check_profile(profile: Profile) -> Profile:
    """A cleaned-up copy of ``profile``, or ``ProfileError`` saying what is wrong."""
    access_key = profile.access_key.strip()
    if not access_key:
        raise ProfileError("Enter the access key S3 requests are signed with.")
    cafile = (profile.cafile or "").strip() or None
    if cafile and not Path(cafile).is_file():
        raise ProfileError(f"The CA file {cafile} does not exist.")
    return dataclasses.replace(
        profile, name=check_name(profile.name),
        s3_url=check_url(profile.s3_url, "The S3 endpoint"),
        admin_url=check_url(profile.admin_url, "The management API URL"),
        access_key=access_key, region=profile.region.strip() or DEFAULT_REGION, cafile=cafile)


class ProfileFile:
    """The JSON document of the profile file."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def read(self) -> dict:
        """The document; ``{}`` if there is no file; ``ProfileError`` if it can't be read."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"Cannot read the connection profiles in {self.path}: "
                               f"{getattr(exc, 'strerror', None) or exc}.") from exc
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ProfileError(f"The connection profiles file {self.path} is damaged ({exc}). "
                               "Saving a profile will set it aside as "
                               f"{self._aside().name} and start a new one.") from None
        if not isinstance(document, dict):
            raise ProfileError(f"The connection profiles file {self.path} is damaged (not a "
                               "JSON object). Saving a profile will set it aside as "
                               f"{self._aside().name} and start a new one.")
        return document

    def read_for_update(self) -> dict:
        """The document to change and ``write``; a damaged file is moved aside first."""
        try:
            return self.read()
        except ProfileError:
            if not self.path.exists():
                raise
            os.replace(self.path, self._aside())
            return {}

    def write(self, document: dict) -> None:
        """Replace the file atomically (temporary file, fsync, rename), mode 0600."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".profiles-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=2, ensure_ascii=False)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _aside(self) -> Path:
        return self.path.with_name(self.path.name + ".damaged")


class ProfileStore:
    """The saved profiles and the name of the last one used.

    :param path: the profile file (default: ``profiles.json`` in ``config_dir()``).
    :param secrets: where secrets go (default: the keyring, else this file).
    """

    def __init__(self, path: Path | None = None, secrets: SecretStore | None = None):
        self.file = ProfileFile(path or config_dir() / FILE_NAME)
        self.secrets = secrets if secrets is not None else SecretStore(self.file)

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def warning(self) -> str | None:
        """Why the secrets are not safe, when they are kept in plain text."""
        return self.secrets.warning

    def list(self) -> list[Profile]:
        """Every profile in the order saved; ``ProfileError`` if the file is damaged."""
        return _profiles_in(self.file.read(), self.path)

    def get(self, name: str) -> Profile | None:
        """Profile ``name``; ``None`` if there is none or the file is damaged (``list``
        says how)."""
        try:
            return next((p for p in self.list() if p.name == name), None)
        except ProfileError:
            return None

    def load_secrets(self, name: str) -> Secrets | None:
        return self.secrets.load(name)

    def save(self, profile: Profile, secrets: Secrets | None = None) -> Profile:
        """Add ``profile``, or replace the one of that name; store ``secrets`` if given.
        Returns the profile as saved (cleaned up by ``check_profile``)."""
        profile = check_profile(profile)
        document = self.file.read_for_update()
        entries = _entries(document)
        names = [entry.get("name") for entry in entries]
        if profile.name in names:
            entries[names.index(profile.name)] = dataclasses.asdict(profile)
        else:
            entries.append(dataclasses.asdict(profile))
        document["profiles"] = entries
        self.file.write(document)
        if secrets is not None:
            self.secrets.save(profile.name, secrets)
        return profile

    def save_as(self, saved_name: str | None, profile: Profile, secrets: Secrets) -> Profile:
        """Save ``profile`` and ``secrets`` over the profile saved as ``saved_name`` (``None``: a
        new one), renaming it first when the name changed.  Safe to repeat after a failure:
        a rename that went through before the secrets failed is not attempted twice."""
        profile = check_profile(profile)
        leftover = None
        if saved_name is not None and saved_name != profile.name:
            if any(saved.name == saved_name for saved in self.list()):
                self.rename(saved_name, profile.name)
            else:                   # renamed by an earlier try, whose secrets then failed
                leftover = saved_name
        profile = self.save(profile, secrets)
        if leftover is not None:
            self.secrets.delete(leftover)
        return profile

    def read_all(self) -> "SavedProfiles":
        """Every profile with its secrets, the last used name and the secrets warning, read in
        one go (file and keyring: call it off the GUI thread).  A damaged file or a refusing
        keyring is reported in ``problems``, not raised."""
        problems: list[str] = []
        try:
            document = self.file.read()          # once: profiles and last used from it
            profiles = _profiles_in(document, self.path)
        except ClientError as exc:
            problems.append(str(exc))
            document, profiles = {}, []
        last_used = document.get("last_used")
        if last_used not in {profile.name for profile in profiles}:
            last_used = None
        saved = []
        for profile in profiles:
            try:
                secrets = self.load_secrets(profile.name)
            except ClientError as exc:
                problems.append(str(exc))
                secrets = None
            saved.append((profile, secrets))
        return SavedProfiles(saved, last_used, self.warning, problems)

    def rename(self, old: str, new: str) -> None:
        """Give profile ``old`` (and its secrets) the name ``new``."""
        new = check_name(new)
        if new == old:
            return
        document = self.file.read_for_update()
        entries = _entries(document)
        names = [entry.get("name") for entry in entries]
        if old not in names:
            raise ProfileError(f"There is no profile named “{old}”.")
        if new in names:
            raise ProfileError(f"A profile named “{new}” already exists.")
        entries[names.index(old)]["name"] = new
        if document.get("last_used") == old:
            document["last_used"] = new
        self.file.write(document)
        self.secrets.rename(old, new)

    def delete(self, name: str) -> None:
        """Forget profile ``name`` and its secrets."""
        document = self.file.read_for_update()
        document["profiles"] = [entry for entry in _entries(document)
                                if entry.get("name") != name]
        if document.get("last_used") == name:
            document["last_used"] = None
        self.file.write(document)
        self.secrets.delete(name)

    @property
    def last_used(self) -> str | None:
        """The name of the profile connected with last, if it still exists."""
        try:
            name = self.file.read().get("last_used")
        except ProfileError:
            return None
        return name if isinstance(name, str) and self.get(name) is not None else None

    def set_last_used(self, name: str) -> None:
        document = self.file.read_for_update()
        document["last_used"] = name
        self.file.write(document)


@dataclasses.dataclass
class SavedProfiles:
    """What ``ProfileStore.read_all`` found: ``(profile, secrets or None)`` pairs in saved order,
    the last used profile's name, the plain-text warning and any problems met."""

    profiles: list[tuple[Profile, Secrets | None]]
    last_used: str | None
    warning: str | None
    problems: list[str]


def _profiles_in(document: dict, path: Path) -> list[Profile]:
    """The profiles of the file's ``document``; ``ProfileError`` if they are damaged."""
    entries = document.get("profiles", [])
    if not isinstance(entries, list):
        raise ProfileError(f"The connection profiles file {path} is damaged "
                           "(“profiles” is not a list).")
    return [_profile(entry, path) for entry in entries]


def _entries(document: dict) -> list[dict]:
    """The profile entries of ``document`` that are JSON objects."""
    entries = document.get("profiles")
    return [entry for entry in entries if isinstance(entry, dict)] if isinstance(
        entries, list) else []


def _profile(entry, path: Path) -> Profile:
    """A ``Profile`` from one entry of the file; ``ProfileError`` if it isn't one."""
    fields = {field.name: field for field in dataclasses.fields(Profile)}
    values = {name: entry[name] for name in fields if isinstance(entry, dict) and name in entry}
    problems = [f"a profile has no “{name}”" for name in ("name", "s3_url", "admin_url")
                if not isinstance(values.get(name), str)]
    problems += [f"“{name}” of a profile is not a {kind.__name__}"
                 for name, kind in (("access_key", str), ("region", str), ("verify_tls", bool))
                 if name in values and not isinstance(values[name], kind)]
    if values.get("cafile") is not None and not isinstance(values["cafile"], str):
        problems.append("“cafile” of a profile is not a string")
    if problems:
        raise ProfileError(f"The connection profiles file {path} is damaged ({problems[0]}).")
    values.setdefault("access_key", "")
    return Profile(**values)
