"""Tests for ramod.config and ramod.tap: settings from the command line, a file and defaults."""

import socket
from dataclasses import replace
from pathlib import Path

import pytest
from twisted.application.service import IService
from twisted.internet.testing import MemoryReactorClock
from twisted.python.usage import UsageError

from ramod.config import Config, default_workers
from ramod.service import RamoService
from ramod.supervisor import Supervisor, worker_command
from ramod.tap import Options, makeService, worker_arguments

NO_ENV: dict = {}


def write_ini(tmp_path, body: str) -> str:
    path = tmp_path / "ramod.ini"
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_defaults(tmp_path, monkeypatch):
    """With no options and no file, every setting has its documented default."""
    monkeypatch.chdir(tmp_path)
    config = Config.from_options({}, environ=NO_ENV)
    data_dir = (tmp_path / "ramo-data").resolve()
    assert config == Config(
        listen="tcp:9000:interface=127.0.0.1", data_dir=data_dir,
        db_url=f"sqlite:///{data_dir / 'ramo.sqlite3'}", region="us-east-1", domain="",
        port_file=None, max_skew=900, max_object_size=5 * 1024**3, io_threads=16,
        access_log=str(data_dir / "access.log"), multipart_max_age=7 * 24 * 3600,
        root_access_key=None, root_secret_key=None,
        admin_listen="tcp:9001:interface=127.0.0.1", admin_port_file=None, admin_api_key=None,
        public_url="", workers=default_workers(),
        node_id=socket.gethostname().split(".")[0])
    assert config.is_sqlite
    assert 1 <= config.workers <= 8
    assert config.worker_id is None and config.process_name == config.node_id


def test_workers_and_node_id():
    """--workers and --node-id are checked; a worker's process name says which it is."""
    config = Config.from_options({"workers": "3", "node-id": "gw-2.rack_1"}, environ=NO_ENV)
    assert (config.workers, config.node_id) == (3, "gw-2.rack_1")
    assert replace(config, worker_id=2).process_name == "gw-2.rack_1/2"
    for bad in ("0", "-1", "many"):
        with pytest.raises(UsageError, match="workers"):
            Config.from_options({"workers": bad}, environ=NO_ENV)
    for bad in ("-x", "a/b", "é", "x" * 64):
        with pytest.raises(UsageError, match="node-id"):
            Config.from_options({"node-id": bad}, environ=NO_ENV)


def test_admin_settings(tmp_path):
    """The management API can be moved or switched off; its key and the public URL are checked."""
    config = Config.from_options({"admin-listen": "off", "public-url": "https://s3.example.com/"},
                                 environ={"RAMO_ADMIN_API_KEY": "k" * 16})
    assert (config.admin_listen, config.admin_api_key) == (None, "k" * 16)
    assert config.public_url == "https://s3.example.com"
    with pytest.raises(UsageError, match="at least 16"):
        Config.from_options({}, environ={"RAMO_ADMIN_API_KEY": "short"})
    with pytest.raises(UsageError, match="public-url"):
        Config.from_options({"public-url": "s3.example.com"}, environ=NO_ENV)


def test_command_line_values(tmp_path):
    """Each command-line option lands in its field, converted and normalised."""
    config = Config.from_options({
        "listen": "tcp:0", "data-dir": str(tmp_path / "d"), "db": "postgresql://u@h/db",
        "region": "eu-west-3", "domain": ".S3.Example.COM.", "port-file": str(tmp_path / "port"),
        "max-skew": "60", "max-object-size": "1024", "io-threads": "2"}, environ=NO_ENV)
    assert config.listen == "tcp:0"
    assert config.data_dir == (tmp_path / "d").resolve()
    assert config.db_url == "postgresql://u@h/db"
    assert not config.is_sqlite
    assert config.region == "eu-west-3"
    assert config.domain == "s3.example.com"
    assert config.port_file == (tmp_path / "port").resolve()
    assert (config.max_skew, config.max_object_size, config.io_threads) == (60, 1024, 2)


def test_none_options_fall_back(tmp_path):
    """Options twistd leaves unset (None) take the file's value or the default."""
    path = write_ini(tmp_path, "[ramod]\nregion = eu-north-1\n")
    config = Config.from_options({"config": path, "region": None, "listen": None}, environ=NO_ENV)
    assert config.region == "eu-north-1"
    assert config.listen == "tcp:9000:interface=127.0.0.1"


@pytest.mark.parametrize("value, expected", [
    ("-", "-"),
    ("off", "off"),
    ("logs/access.log", "{cwd}/logs/access.log"),
    ("{tmp}/a.log", "{tmp}/a.log"),
])
def test_access_log(tmp_path, monkeypatch, value, expected):
    """--access-log is '-', 'off' or a file name made absolute."""
    monkeypatch.chdir(tmp_path)
    cwd = str(tmp_path.resolve())
    config = Config.from_options({"access-log": value.format(tmp=cwd)}, environ=NO_ENV)
    assert config.access_log == expected.format(cwd=cwd, tmp=cwd)


def test_config_file_and_command_line(tmp_path):
    """The file overrides defaults and the command line overrides the file."""
    path = write_ini(tmp_path, "[ramod]\nlisten = tcp:1234\nregion = eu-west-1\n"
                               "io-threads = 4\nmax-skew = 30\ndomain = s3.file\n")
    config = Config.from_options({"config": path, "region": "ap-south-1", "io-threads": "8"},
                                 environ=NO_ENV)
    assert config.listen == "tcp:1234"
    assert config.max_skew == 30
    assert config.domain == "s3.file"
    assert config.region == "ap-south-1"
    assert config.io_threads == 8


def test_config_file_keys_ignore_case(tmp_path):
    """Setting names in the file are case-insensitive, as INI names are."""
    path = write_ini(tmp_path, "[ramod]\nRegion = eu-west-2\n")
    assert Config.from_options({"config": path}, environ=NO_ENV).region == "eu-west-2"


def test_config_file_value_with_percent(tmp_path):
    """A value holding '%' (a percent-encoded password in --db) is taken literally."""
    url = "postgresql://ramo:p%40ss@db.example/ramo"
    path = write_ini(tmp_path, f"[ramod]\ndb = {url}\n")
    assert Config.from_options({"config": path}, environ=NO_ENV).db_url == url


@pytest.mark.parametrize("body", [
    "[ramod]\nlisten = tcp:1\nbogus = 1\n",
    "[ramod]\nconfig = other.ini\n",
    "[ramod]\ndata_dir = /tmp\n",
    "[server]\nlisten = tcp:1\n",
    "",
    "listen = tcp:1\n",
    "[ramod]\nlisten\n",
    "[ramod]\nregion = a\nregion = b\n",
])
def test_bad_config_file(tmp_path, body):
    """A file with unknown settings, no [ramod] section or bad syntax is a usage error."""
    path = write_ini(tmp_path, body)
    with pytest.raises(UsageError):
        Config.from_options({"config": path}, environ=NO_ENV)


def test_missing_config_file(tmp_path):
    """A --config file that does not exist is a usage error."""
    with pytest.raises(UsageError):
        Config.from_options({"config": str(tmp_path / "absent.ini")}, environ=NO_ENV)


@pytest.mark.parametrize("url", [
    "sqlite:///tmp/x.db", "postgres://h/db", "postgresql://u:p@h:5432/db", "postgresext://h/db"])
def test_good_db_urls(url):
    """sqlite:/// and PostgreSQL URLs are accepted as given."""
    assert Config.from_options({"db": url}, environ=NO_ENV).db_url == url


@pytest.mark.parametrize("url", [
    "mysql://h/db", "sqlite://relative.db", "sqlite:relative.db", "/tmp/x.db", "SQLITE:///x.db",
    "http://h/db"])
def test_bad_db_urls(url):
    """Any other --db scheme is a usage error."""
    with pytest.raises(UsageError):
        Config.from_options({"db": url}, environ=NO_ENV)


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "garage", "local", "a"])
def test_good_regions(region):
    """Lower-case names of letters, digits and dashes are regions."""
    assert Config.from_options({"region": region}, environ=NO_ENV).region == region


@pytest.mark.parametrize("region", [
    "", "US-EAST-1", "-us", "us_east_1", "us east", "us.east", "r" * 64, "us-east-1\n", "é"])
def test_bad_regions(region):
    """Anything else is a usage error (it would end up in signatures and XML)."""
    with pytest.raises(UsageError):
        Config.from_options({"region": region}, environ=NO_ENV)


@pytest.mark.parametrize("name", ["max-skew", "max-object-size", "io-threads"])
@pytest.mark.parametrize("value", ["0", "-1", "", "ten", "1.5", "1e3"])
def test_non_positive_numbers(name, value):
    """Numeric settings must be positive whole numbers."""
    with pytest.raises(UsageError):
        Config.from_options({name: value}, environ=NO_ENV)


def test_bad_number_in_file(tmp_path):
    """A bad number from the config file is a usage error too."""
    path = write_ini(tmp_path, "[ramod]\nio-threads = 0\n")
    with pytest.raises(UsageError):
        Config.from_options({"config": path}, environ=NO_ENV)


def test_root_keys_from_environment():
    """RAMO_ROOT_ACCESS_KEY and RAMO_ROOT_SECRET_KEY set together give the root credential."""
    config = Config.from_options({}, environ={"RAMO_ROOT_ACCESS_KEY": "AK",
                                              "RAMO_ROOT_SECRET_KEY": "SK"})
    assert (config.root_access_key, config.root_secret_key) == ("AK", "SK")


@pytest.mark.parametrize("environ", [
    {"RAMO_ROOT_ACCESS_KEY": "AK"},
    {"RAMO_ROOT_SECRET_KEY": "SK"},
    {"RAMO_ROOT_ACCESS_KEY": "AK", "RAMO_ROOT_SECRET_KEY": ""},
    {"RAMO_ROOT_ACCESS_KEY": "", "RAMO_ROOT_SECRET_KEY": "SK"},
])
def test_one_root_key_is_an_error(environ):
    """Setting only one of the two root key variables is a usage error."""
    with pytest.raises(UsageError):
        Config.from_options({}, environ=environ)


def test_empty_root_keys_mean_none():
    """Both root key variables set but empty count as not set."""
    config = Config.from_options({}, environ={"RAMO_ROOT_ACCESS_KEY": "", "RAMO_ROOT_SECRET_KEY": ""})
    assert (config.root_access_key, config.root_secret_key) == (None, None)


# -- ramod.tap ------------------------------------------------------------------------------

@pytest.fixture
def no_root_env(monkeypatch):
    monkeypatch.delenv("RAMO_ROOT_ACCESS_KEY", raising=False)
    monkeypatch.delenv("RAMO_ROOT_SECRET_KEY", raising=False)


def test_options_parse(tmp_path, no_root_env):
    """twistd's option parser builds the Config from the command line."""
    options = Options()
    options.parseOptions(["--listen", "tcp:0:interface=127.0.0.1", "--data-dir", str(tmp_path),
                          "--region", "eu-west-1", "--domain", "s3.test", "--io-threads", "3"])
    config = options["parsed"]
    assert isinstance(config, Config)
    assert config.listen == "tcp:0:interface=127.0.0.1"
    assert config.data_dir == tmp_path.resolve()
    assert config.region == "eu-west-1"
    assert config.domain == "s3.test"
    assert config.io_threads == 3
    assert config.max_skew == 900


def test_options_read_config_file(tmp_path, no_root_env):
    """--config is read by the option parser, and command-line options still win."""
    path = write_ini(tmp_path, "[ramod]\nregion = eu-west-1\nmax-skew = 10\n")
    options = Options()
    options.parseOptions(["--config", path, "--max-skew", "20", "--data-dir", str(tmp_path)])
    assert options["parsed"].region == "eu-west-1"
    assert options["parsed"].max_skew == 20


@pytest.mark.parametrize("argv", [
    ["--region", "Nope"], ["--io-threads", "0"], ["--db", "mysql://h/db"], ["--no-such-option"]])
def test_options_reject_bad_values(argv, no_root_env):
    """Bad values stop twistd with a usage error."""
    with pytest.raises(UsageError):
        Options().parseOptions(argv)


def test_options_reject_one_root_key(monkeypatch):
    """The option parser reads the root key variables from the real environment."""
    monkeypatch.setenv("RAMO_ROOT_ACCESS_KEY", "AK")
    monkeypatch.delenv("RAMO_ROOT_SECRET_KEY", raising=False)
    with pytest.raises(UsageError):
        Options().parseOptions([])


def test_make_service(tmp_path, no_root_env):
    """makeService returns the (unstarted) RamoService for the parsed Config with --workers 1."""
    options = Options()
    options.parseOptions(["--listen", "tcp:0", "--data-dir", str(tmp_path / "data"),
                          "--workers", "1"])
    reactor = MemoryReactorClock()
    svc = makeService(options, reactor=reactor)
    assert isinstance(svc, RamoService)
    assert IService.providedBy(svc)
    assert svc.config is options["parsed"]
    assert svc.reactor is reactor
    assert not svc.running
    assert not Path(tmp_path / "data").exists()  # nothing touches the disk before start


def test_make_service_with_workers(tmp_path, no_root_env):
    """--workers N > 1 makes a supervisor of N workers, each given the same options minus
    the port files; a worker (--worker-id) is a RamoService of its own."""
    ini = write_ini(tmp_path, "[ramod]\nregion = eu-west-1\n")
    argv = ["--listen", "tcp:0", "--data-dir", str(tmp_path / "data"), "--workers", "3",
            "--port-file", str(tmp_path / "port"), "--config", ini, "--node-id", "gw1"]
    options = Options()
    options.parseOptions(argv)
    svc = makeService(options, reactor=MemoryReactorClock())
    assert isinstance(svc, Supervisor)
    assert [slot.index for slot in svc.slots] == [1, 2, 3]
    args = worker_arguments(options)
    assert "--port-file" not in args and "--worker-id" not in args
    assert args[:2] == ["--config", ini]
    assert args[2:] == ["--listen", "tcp:0", "--data-dir", str(tmp_path / "data"),
                        "--workers", "3", "--node-id", "gw1"]
    command = worker_command(args, 2)
    assert command[-2:] == ["--worker-id", "2"] and "ramod" in command

    worker = Options()
    worker.parseOptions(args + ["--worker-id", "2"])
    config = worker["parsed"]
    assert (config.worker_id, config.process_name, config.region) == (2, "gw1/2", "eu-west-1")
    svc = makeService(worker, reactor=MemoryReactorClock())
    assert isinstance(svc, RamoService) and svc.is_worker
    assert svc.blobs.staging_dir == tmp_path / "data" / "staging" / "gw1" / "worker-2"
    assert not Path(tmp_path / "data").exists()


def test_worker_id_is_not_a_file_setting(tmp_path):
    """worker-id is set by the supervisor only: a config file can't hold it."""
    with pytest.raises(UsageError, match="unknown settings"):
        Config.from_options({"config": write_ini(tmp_path, "[ramod]\nworker-id = 1\n")},
                            environ=NO_ENV)
    with pytest.raises(UsageError, match="worker-id"):
        Config.from_options({"worker-id": "0"}, environ=NO_ENV)
