"""Connection profiles on disk and their secrets: the keyring when there is one, else the
profile file (mode 0600) with a warning."""

import json
import stat

import pytest
from keyrings import LockedKeyring, MemoryKeyring, RefusingOnceKeyring, installed

from ramogui.client.profile_store import (ProfileError, ProfileStore, check_profile, check_url,
                                          config_dir)
from ramogui.client.errors import ClientError
from ramogui.client.profiles import Profile, Secrets
from ramogui.client.secret_store import usable_keyring


@pytest.fixture
def config(monkeypatch, tmp_path):
    """A config directory of this test's own."""
    monkeypatch.setenv("RAMO_GUI_CONFIG_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def memory_keyring():
    """``MemoryKeyring`` installed as the keyring for the test, the previous one restored."""
    with installed(MemoryKeyring()) as backend:
        yield backend


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


def test_a_failing_keyring_never_turns_into_plain_text(config):
    with installed(LockedKeyring()):
        store = ProfileStore()
        assert "keyring is not answering" in store.warning
        assert "the collection is locked" in store.warning
        with pytest.raises(ClientError, match="Not saving secrets in plain text"):
            store.save(make("locked"), Secrets(admin_key="admin-secret-1", secret_key="s3-secret-1"))
    text = store.path.read_text() if store.path.exists() else ""
    assert "admin-secret-1" not in text and "s3-secret-1" not in text


def test_the_keyring_is_probed_on_first_use_not_when_the_store_is_made(config):
    with installed(MemoryKeyring()) as backend:
        store = ProfileStore()
        assert backend.calls == 0                  # making the store on the GUI thread is free
        assert store.secrets.in_keyring and backend.calls == 3      # set, get, delete a probe
        store.save(make("a"), SECRETS)
        assert store.load_secrets("a") == SECRETS and backend.calls == 3 + 2 + 2


def test_read_all_gives_profiles_secrets_last_used_and_warning(config):
    store = ProfileStore()
    store.save(make("a"), SECRETS)
    store.save(make("b", port=9100))
    store.set_last_used("a")
    saved = ProfileStore().read_all()
    assert saved.profiles == [(make("a"), SECRETS), (make("b", port=9100), None)]
    assert saved.last_used == "a" and saved.problems == []
    assert "plain text" in saved.warning


def test_read_all_reports_a_damaged_file_instead_of_raising(config):
    (config / "profiles.json").write_text("[1, 2]")
    saved = ProfileStore().read_all()
    assert saved.profiles == [] and saved.last_used is None
    assert len(saved.problems) == 1 and "is damaged" in saved.problems[0]


def test_save_as_renames_a_saved_profile_in_place(config, memory_keyring):
    store = ProfileStore()
    for name in ("a", "b", "c"):
        store.save(make(name), SECRETS)
    store.set_last_used("b")
    other = Secrets(admin_key="admin-2", secret_key="secret-2")
    assert store.save_as("b", make("bee", port=9200), other) == make("bee", port=9200)
    assert [p.name for p in store.list()] == ["a", "bee", "c"]
    assert store.last_used == "bee" and store.load_secrets("bee") == other
    assert store.load_secrets("b") is None
    assert ("ramo", "b/admin_key") not in memory_keyring.passwords
    store.save_as(None, make("d"), SECRETS)                    # a new one goes last
    assert [p.name for p in store.list()] == ["a", "bee", "c", "d"]


def test_save_as_after_a_refused_rename_loses_nothing_and_can_be_repeated(config):
    with installed(RefusingOnceKeyring("new")) as backend:
        store = ProfileStore()
        store.save(make("old"), SECRETS)
        with pytest.raises(ClientError, match="keyring refused"):
            store.save_as("old", make("new"), SECRETS)
        # the file has the new name; the secrets are still under the old one, not lost
        assert [p.name for p in store.list()] == ["new"]
        assert store.load_secrets("old") == SECRETS
        store.save_as("old", make("new"), SECRETS)             # the dialog's retry
        assert [p.name for p in store.list()] == ["new"]
        assert store.load_secrets("new") == SECRETS and store.load_secrets("old") is None
        assert set(backend.passwords) == {("ramo", "new/admin_key"), ("ramo", "new/secret_key")}
