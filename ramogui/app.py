"""``ramogui``: start the desktop app."""

import argparse
import sys


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ramogui", description="Desktop app for a Ramo server.")
    parser.add_argument("--profile", help="connect with this saved profile at once")
    theme = parser.add_mutually_exclusive_group()
    theme.add_argument("--dark", action="store_true", help="use the dark palette")
    theme.add_argument("--light", action="store_true", help="use the light palette")
    parser.add_argument("--serial", action="store_true",
                        help="run network calls on the GUI thread (debugging only: it freezes)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        from PySide6.QtCore import QSettings, QTimer
        from PySide6.QtGui import QIcon
        from PySide6.QtWidgets import QApplication
    except ImportError:
        print("ramogui needs PySide6: pip install 'ramo[gui]'", file=sys.stderr)
        return 1
    from ramogui.client.profile_store import ProfileStore
    from ramogui.resources import icon_path
    from ramogui.views.main_window import MainWindow
    from ramogui.views.theme import apply_theme
    from ramogui.workers.runner import Runner
    from ramogui.workers.transfer_queue import TransferQueue

    app = QApplication(sys.argv[:1])
    app.setApplicationName("ramogui")
    app.setApplicationDisplayName("Ramo")
    app.setOrganizationName("Ramo")
    app.setDesktopFileName("ramogui")
    app.setWindowIcon(QIcon(str(icon_path())))
    settings = QSettings("Ramo", "ramogui")
    if args.dark or args.light:
        settings.setValue("dark", args.dark)
    apply_theme(app, settings.value("dark", False, type=bool))

    runner = Runner(serial=args.serial)
    transfers = TransferQueue()
    store = ProfileStore()
    window = MainWindow(runner, transfers, store, settings)
    window.show()
    if args.profile:
        _connect_saved(runner, window, store, args.profile)
    else:
        QTimer.singleShot(0, window.show_connect_dialog)
    return app.exec()


def _open_saved(store, name: str):
    """Worker: the session of saved profile ``name`` (reads the file, the keyring and the
    CA file, so it runs off the GUI thread)."""
    from ramogui.client.profile_store import ProfileError
    from ramogui.client.session import Session
    profile = store.get(name)
    secrets = store.load_secrets(name) if profile else None
    if profile is None or secrets is None:
        raise ProfileError("there is no saved profile of that name with its secrets.")
    return Session(profile, secrets)


def _connect_saved(runner, window, store, name: str) -> None:
    """Connect ``window`` with the saved profile ``name``; when it or its secrets can't be had,
    say why in the status bar and open the connect dialog."""
    from ramogui.client.errors import describe

    def failed(exc: BaseException) -> None:
        window.show_status(f"Cannot use profile {name!r}: {describe(exc)}")
        window.show_connect_dialog()
    window.show_status(f"Connecting with profile {name!r}…")
    runner.call(_open_saved, store, name, on_done=window.set_session, on_error=failed)


if __name__ == "__main__":
    sys.exit(main())
