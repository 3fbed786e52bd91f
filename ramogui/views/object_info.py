"""The object browser's side panel: everything the server knows about one object."""

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFormLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ramogui.formatting import human_bytes, local_time

FIELDS = ("Key", "Size", "Content type", "ETag", "Multipart", "Last modified", "Created",
          "Storage class", "Checksums")


def describe_object(info: dict) -> dict[str, str]:
    """The panel's fields for an Object of the management API."""
    parts = info.get("part_count")
    if not info.get("is_multipart"):
        multipart = "no"
    elif parts:
        multipart = f"yes, {parts:,} part{'s' if parts != 1 else ''}"
    else:
        multipart = "yes"
    checksums = ", ".join(f"{name}: {value}" for name, value in
                          sorted((info.get("checksums") or {}).items())) or "none"
    return {
        "Key": info["key"],
        "Size": f"{human_bytes(info['size'])} ({info['size']:,} bytes)",
        "Content type": info.get("content_type") or "(none)",
        "ETag": info.get("etag", ""),
        "Multipart": multipart,
        "Last modified": local_time(info.get("updated_at")),
        "Created": local_time(info.get("created_at")),
        "Storage class": info.get("storage_class") or "STANDARD",
        "Checksums": checksums,
    }


class ObjectInfoPanel(QWidget):
    """Fields of the selected object plus its user metadata and stored headers."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("Object details")
        self.title = QLabel("Select an object to see its details.")
        self.title.setWordWrap(True)
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for name in FIELDS:
            value = QLabel()
            value.setTextFormat(Qt.TextFormat.PlainText)     # keys and types are data, not HTML
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(name)
            form.addRow(name + ":", value)
            self.values[name] = value
        self.metadata = QTableWidget(0, 2)
        self.metadata.setObjectName("metadataTable")
        self.metadata.setAccessibleName("Metadata and headers")
        self.metadata.setHorizontalHeaderLabels(["Metadata / header", "Value"])
        self.metadata.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.metadata.verticalHeader().hide()
        self.metadata.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.metadata, 1)
        self.clear()

    def clear(self, text: str = "Select an object to see its details.") -> None:
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setText(text)
        for value in self.values.values():
            value.clear()
        self.metadata.setRowCount(0)

    def show_object(self, info: dict) -> None:
        self.title.setText(f"<b>{html.escape(info['key'].rpartition('/')[2] or info['key'])}</b>")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        for name, text in describe_object(info).items():
            self.values[name].setText(text)
        rows = [(f"x-amz-meta-{name}", value) for name, value in
                sorted((info.get("metadata") or {}).items())]
        rows += sorted((info.get("headers") or {}).items())
        self.metadata.setRowCount(len(rows))
        for row, (name, value) in enumerate(rows):
            self.metadata.setItem(row, 0, QTableWidgetItem(name))
            self.metadata.setItem(row, 1, QTableWidgetItem(value))
