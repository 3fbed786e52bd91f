"""The path bar of the object browser: ``bucket › photos › 2026 ›``, each part clickable."""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget


def crumbs(prefix: str) -> list[tuple[str, str]]:
    """``"a/b/"`` → ``[("a", "a/"), ("b", "a/b/")]``: each folder's label and its prefix."""
    parts, path = [], ""
    for name in prefix.split("/")[:-1]:
        path += name + "/"
        parts.append((name or "(empty name)", path))
    return parts


class Breadcrumbs(QWidget):
    """Buttons for the bucket and each folder above the listing; ``prefix_chosen`` says
    which was clicked (``""``: the bucket's top)."""

    prefix_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("Current folder")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self.buttons: list[QToolButton] = []

    def set_location(self, bucket: str, prefix: str) -> None:
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.buttons = []
        if not bucket:
            return
        self._add(bucket, "", f"Bucket {bucket}: go to its top level")
        for label, path in crumbs(prefix):
            separator = QLabel("›")
            separator.setAccessibleName("separator")
            self._layout.addWidget(separator)
            self._add(label, path, f"Go to folder {path}")
        self._layout.addStretch(1)
        current = self.buttons[-1]                # where we are
        font = current.font()
        font.setBold(True)
        current.setFont(font)
        current.setAccessibleDescription("current folder")

    def _add(self, label: str, path: str, tip: str) -> None:
        button = QToolButton(self)
        button.setText(label)
        button.setAutoRaise(True)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.clicked.connect(lambda _checked=False, p=path: self.prefix_chosen.emit(p))
        self._layout.addWidget(button)
        self.buttons.append(button)
