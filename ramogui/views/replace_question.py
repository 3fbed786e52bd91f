"""The question asked when an upload would replace objects that are already there."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ramogui.workers.transfer_queue import REPLACE, SKIP

NAMES_SHOWN = 5


def ask_replace(parent: QWidget, where: str, existing: list[str], total: int) -> str | None:
    """Ask whether to replace the ``existing`` keys of an upload of ``total`` files into
    ``where`` (``bucket/prefix``): ``REPLACE``, ``SKIP`` or ``None`` (cancel the upload).
    "Skip existing" is the default: Enter never replaces anything."""
    count = len(existing)
    names = "\n".join(f"  {key}" for key in existing[:NAMES_SHOWN])
    if count > NAMES_SHOWN:
        names += f"\n  … and {count - NAMES_SHOWN:,} more"
    if total == 1:
        head = f"The file already exists in {where}:"
    elif count == total:
        head = f"All {total:,} files already exist in {where}:"
    else:
        verb = "exists" if count == 1 else "exist"
        head = f"{count:,} of the {total:,} files already {verb} in {where}:"
    question = ("Replace it with the local file?" if total == 1 else
                "Replace them with the local files?" if count == total else
                "Replace them with the local files, or upload only the others?")
    box = QMessageBox(QMessageBox.Icon.Question, "Replace existing objects?",
                      f"{head}\n{names}\n\n{question}", QMessageBox.StandardButton.Cancel,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)           # keys are text, never HTML
    box.setObjectName("replaceDialog")
    replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
    skip = box.addButton("Skip existing", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(skip)
    box.exec()
    clicked = box.clickedButton()
    return REPLACE if clicked is replace else SKIP if clicked is skip else None
