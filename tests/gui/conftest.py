"""Fixtures of the desktop-app tests: Qt offscreen, one real ramod for the session, a
``Session`` connected to it as root, and screenshots a person can look at.

Qt runs on the ``offscreen`` platform unless ``QT_QPA_PLATFORM`` says otherwise (e.g.
``xcb`` under ``xvfb-run``).  Screenshots go to ``tests/gui/screenshots/`` or to
``$RAMO_SCREENSHOT_DIR``.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

import pytest  # noqa: E402
from ramod_process import (  # noqa: E402
    ADMIN_API_KEY, REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, RamodProcess, no_retry_client,
    unique_bucket_name)

from ramogui.client.profiles import Profile, Secrets  # noqa: E402
from ramogui.client.session import Session  # noqa: E402
from ramogui.workers.runner import Runner  # noqa: E402
from ramogui.workers.transfer_queue import TransferQueue  # noqa: E402

SCREENSHOT_DIR = Path(os.environ.get("RAMO_SCREENSHOT_DIR")
                      or Path(__file__).resolve().parent / "screenshots")


@pytest.fixture(scope="session")
def gui_ramod(tmp_path_factory):
    """A ramod serving every desktop-app test."""
    server = RamodProcess(tmp_path_factory.mktemp("ramod-gui"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def profile(gui_ramod):
    """A profile for ``gui_ramod`` with the root access key."""
    return Profile(name="test", s3_url=gui_ramod.endpoint, admin_url=gui_ramod.admin_url,
                   access_key=ROOT_ACCESS_KEY, region=REGION)


@pytest.fixture
def secrets():
    return Secrets(admin_key=ADMIN_API_KEY, secret_key=ROOT_SECRET_KEY)


@pytest.fixture
def session(profile, secrets):
    return Session(profile, secrets)


@pytest.fixture
def s3(gui_ramod):
    """boto3 on ``gui_ramod`` as root: the independent witness of what the app did."""
    return no_retry_client(gui_ramod)


@pytest.fixture
def bucket(s3):
    """A fresh empty bucket, emptied and removed afterwards."""
    name = unique_bucket_name("gui")
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=name, Delete={"Objects": keys})
    for upload in s3.list_multipart_uploads(Bucket=name).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def transfers(qtbot, session):
    """A ``TransferQueue`` connected with ``session``, stopped and drained after the test."""
    queue = TransferQueue()
    queue.set_session(session)
    yield queue
    queue.cancel_all()
    assert queue.wait(60_000)


@pytest.fixture
def runner(qtbot):
    """A ``Runner`` on a pool of its own, drained after the test."""
    runner = Runner()
    yield runner
    runner.wait(30_000)


@pytest.fixture
def screenshot():
    """``screenshot(widget, name)`` saves ``widget.grab()`` as ``<name>.png`` and returns
    the path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def save(widget, name: str) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        assert widget.grab().save(str(path)), f"could not save {path}"
        return path

    return save


@pytest.fixture
def answer_dialog(qtbot):
    """``answer_dialog(button_text)``: the next modal dialog (a ``confirm`` box, an input
    dialog) gets that button clicked as soon as it shows (``None``: its default button, as
    Enter would).  Returns a list that then holds ``(the dialog's text, the button clicked)``."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QAbstractButton, QApplication

    def arm(button_text: str | None, attempts: int = 200) -> list:
        answered = []

        def click(left: int) -> None:
            dialog = QApplication.activeModalWidget()
            if dialog is not None:
                if button_text is None:
                    buttons = [dialog.defaultButton()] if hasattr(dialog, "defaultButton") else []
                else:
                    buttons = [button for button in dialog.findChildren(QAbstractButton)
                               if button.text().replace("&", "") == button_text]
                if buttons and buttons[0] is not None:
                    text = dialog.text() if hasattr(dialog, "text") else ""
                    answered.append((text, buttons[0].text().replace("&", "")))
                    buttons[0].click()
                    return
            if left > 0:
                QTimer.singleShot(25, lambda: click(left - 1))
        QTimer.singleShot(25, lambda: click(attempts))
        return answered

    return arm
