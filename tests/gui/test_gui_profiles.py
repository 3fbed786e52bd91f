"""Connection profiles on disk and their secrets: the keyring when there is one, else the
profile file (mode 0600) with a warning."""

import json
import stat

import keyring
import keyring.backend
import keyring.errors
import pytest

from ramogui.client.profile_store import (ProfileError, ProfileStore, check_profile, check_url,
                                          config_dir)
from ramogui.client.errors import ClientError
from ramogui.client.profiles import Profile, Secrets
from ramogui.client.secret_store import usable_keyring


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A stand-in for the desktop's keyring, kept in a dict."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.passwords = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self.passwords.pop((service, username))


# Defining a backend registers it for keyring's automatic choice; this one is only for the
# tests that install it themselves.
keyring.backend.KeyringBackend._classes.discard(MemoryKeyring)


@pytest.fixture
def config(monkeypatch, tmp_path):
    """A config directory of this test's own."""
    monkeypatch.setenv("RAMO_GUI_CONFIG_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def memory_keyring():
    """``MemoryKeyring`` installed as the keyring for the test, the previous one restored."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def make(name, port=9000, access_key="AKEXAMPLE0000000"):
    return Profile(name=name, s3_url=f"http://127.0.0.1:{port}",
                   admin_url=f"http://127.0.0.1:{port + 1}", access_key=access_key)


SECRETS = Secrets(admin_key="admin-key-value-123", secret_key="secret-key-value-456")


def test_config_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RAMO_GUI_CONFIG_DIR", str(tmp_path / "a"))
    assert config_dir() == tmp_path / "a"
    monkeypatch.delenv("RAMO_GUI_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "xdg" / "ramo"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_dir() == tmp_path / "home" / ".config" / "ramo"


def test_several_profiles_round_trip(config):
    store = ProfileStore()
    assert store.path == config / "profiles.json"
    assert store.list() == [] and store.last_used is None
    store.save(make("local"), SECRETS)
    store.save(make("backup", 7000, "AKBACKUP00000000"),
               Secrets(admin_key="other-admin", secret_key="other-secret"))
    store.set_last_used("backup")

    again = ProfileStore()
    assert [p.name for p in again.list()] == ["local", "backup"]
    assert again.get("backup") == make("backup", 7000, "AKBACKUP00000000")
    assert again.load_secrets("local") == SECRETS
    assert again.load_secrets("backup").secret_key == "other-secret"
    assert again.last_used == "backup"

    changed = make("local", 8000)
    changed.verify_tls, changed.region = False, "eu-west-1"
    again.save(changed)                         # replaces in place, keeps the secrets
    assert [p.name for p in again.list()] == ["local", "backup"]
    assert again.get("local") == changed
    assert again.load_secrets("local") == SECRETS


def test_rename_moves_secrets_and_last_used(config):
    store = ProfileStore()
    store.save(make("old"), SECRETS)
    store.save(make("other"), SECRETS)
    store.set_last_used("old")
    store.rename("old", "new")
    assert [p.name for p in store.list()] == ["new", "other"]
    assert store.load_secrets("new") == SECRETS and store.load_secrets("old") is None
    assert store.last_used == "new"
    with pytest.raises(ProfileError, match="“other” already exists"):
        store.rename("new", "other")
    with pytest.raises(ProfileError, match="no profile named “gone”"):
        store.rename("gone", "x")


def test_delete_forgets_profile_secrets_and_last_used(config):
    store = ProfileStore()
    store.save(make("a"), SECRETS)
    store.save(make("b"), SECRETS)
    store.set_last_used("a")
    store.delete("a")
    assert [p.name for p in store.list()] == ["b"]
    assert store.load_secrets("a") is None and store.last_used is None
    assert "admin-key-value-123" in store.path.read_text()      # b's, in plain text here


def test_file_is_private_and_written_atomically(config):
    store = ProfileStore()
    store.save(make("a"), SECRETS)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    store.path.chmod(0o644)
    store.save(make("b"))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [p.name for p in config.iterdir()] == ["profiles.json"]     # no temporary left


def test_plain_text_fallback_is_announced(config):
    store = ProfileStore()
    assert usable_keyring() is None                  # no keyring daemon on this machine
    assert not store.secrets.in_keyring
    assert store.warning == (
        "No desktop keyring is available: the admin API key and secret key are stored in "
        f"plain text in {config / 'profiles.json'} (readable only by your user).")
    store.save(make("a"), SECRETS)
    document = json.loads(store.path.read_text())
    assert document["secrets"]["a"] == {"admin_key": SECRETS.admin_key,
                                        "secret_key": SECRETS.secret_key}


def test_secrets_go_to_the_keyring_when_there_is_one(config, memory_keyring):
    store = ProfileStore()
    assert store.secrets.in_keyring and store.warning is None
    store.save(make("work"), SECRETS)
    text = store.path.read_text()
    assert SECRETS.admin_key not in text and SECRETS.secret_key not in text
    assert "secrets" not in json.loads(text)
    assert memory_keyring.passwords == {("ramo", "work/admin_key"): SECRETS.admin_key,
                                        ("ramo", "work/secret_key"): SECRETS.secret_key}
    assert ProfileStore().load_secrets("work") == SECRETS

    store.rename("work", "job")
    assert set(memory_keyring.passwords) == {("ramo", "job/admin_key"), ("ramo", "job/secret_key")}
    store.delete("job")
    assert memory_keyring.passwords == {}


def test_keyring_takes_over_plain_text_secrets(config, request):
    plain = ProfileStore()                              # no keyring yet
    plain.save(make("a"), SECRETS)
    assert SECRETS.secret_key in plain.path.read_text()

    request.getfixturevalue("memory_keyring")
    store = ProfileStore()
    assert store.secrets.in_keyring
    assert store.load_secrets("a") == SECRETS           # still readable from the file
    store.save(store.get("a"), SECRETS)
    assert SECRETS.secret_key not in store.path.read_text()
    assert store.load_secrets("a") == SECRETS


def test_damaged_file_is_reported_then_set_aside(config):
    (config / "profiles.json").write_text("{not json")
    store = ProfileStore()
    with pytest.raises(ProfileError, match="is damaged") as caught:
        store.list()
    assert "profiles.json.damaged" in str(caught.value)
    assert store.last_used is None and store.get("a") is None     # no crash at start-up
    store.save(make("fresh"), SECRETS)
    assert [p.name for p in store.list()] == ["fresh"]
    assert (config / "profiles.json.damaged").read_text() == "{not json"


@pytest.mark.parametrize("content, problem", [
    ("[]", "not a JSON object"),
    ('{"profiles": {}}', "“profiles” is not a list"),
    ('{"profiles": [{"name": "x"}]}', "a profile has no “s3_url”"),
    ('{"profiles": [{"name": "x", "s3_url": "h", "admin_url": "h", "verify_tls": "yes"}]}',
     "“verify_tls” of a profile is not a bool"),
])
def test_wrong_shapes_are_reported(config, content, problem):
    (config / "profiles.json").write_text(content)
    with pytest.raises(ProfileError) as caught:
        ProfileStore().list()
    assert problem in str(caught.value)


def test_missing_directory_is_created_private(monkeypatch, tmp_path):
    monkeypatch.setenv("RAMO_GUI_CONFIG_DIR", str(tmp_path / "new" / "ramo"))
    store = ProfileStore()
    assert store.list() == []
    store.save(make("a"))
    assert stat.S_IMODE((tmp_path / "new" / "ramo").stat().st_mode) == 0o700


@pytest.mark.parametrize("url, message", [
    ("", "The S3 endpoint is empty"),
    ("127.0.0.1:9000", "must start with http:// or https://"),
    ("ftp://host:21", "must start with http:// or https://"),
    ("http://:9000", "has no host name"),
    ("http://host:99999", "has a bad port"),
    ("http://host:abc", "has a bad port"),
    ("http://host:0", "has a bad port"),
    ("http://host:", "has a bad port"),
    ("http://host:9000/?x=1", "must not have a query"),
])
def test_bad_urls_are_refused_clearly(url, message):
    with pytest.raises(ProfileError, match=message):
        check_url(url, "The S3 endpoint")


def test_good_urls_are_cleaned_up():
    assert check_url("  https://s3.example.com/ ", "x") == "https://s3.example.com"
    assert check_url("http://[::1]:9001/ramo/", "x") == "http://[::1]:9001/ramo"


def test_check_profile(tmp_path):
    cleaned = check_profile(Profile(" a ", "http://h:1/", "http://h:2", " AK ", region=" "))
    assert (cleaned.name, cleaned.s3_url, cleaned.access_key, cleaned.region) == (
        "a", "http://h:1", "AK", "us-east-1")
    with pytest.raises(ProfileError, match="Give the profile a name"):
        check_profile(make("  "))
    with pytest.raises(ProfileError, match="The management API URL “nope”"):
        check_profile(Profile("a", "http://h:1", "nope", "AK"))
    with pytest.raises(ProfileError, match="Enter the access key"):
        check_profile(make("a", access_key=" "))
    with pytest.raises(ProfileError, match="CA file .* does not exist"):
        check_profile(Profile("a", "https://h", "https://h:2", "AK",
                              cafile=str(tmp_path / "none.pem")))


class LockedKeyring(MemoryKeyring):
    """A keyring that is there but refuses (locked, prompt dismissed)."""

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringLocked("the collection is locked")


keyring.backend.KeyringBackend._classes.discard(LockedKeyring)


def test_a_failing_keyring_never_turns_into_plain_text(config):
    previous = keyring.get_keyring()
    keyring.set_keyring(LockedKeyring())
    try:
        store = ProfileStore()
        assert "keyring is not answering" in store.warning
        assert "the collection is locked" in store.warning
        with pytest.raises(ClientError, match="Not saving secrets in plain text"):
            store.save(make("locked"), Secrets(admin_key="admin-secret-1", secret_key="s3-secret-1"))
    finally:
        keyring.set_keyring(previous)
    text = store.path.read_text() if store.path.exists() else ""
    assert "admin-secret-1" not in text and "s3-secret-1" not in text
