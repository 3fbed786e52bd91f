"""ramogui: the desktop app for a Ramo server (buckets, objects, transfers, keys, share links).

Layers, each importing only the ones above it:

- ``client/``: talks to ramod (management API and S3) and keeps profiles; no Qt.
- ``workers/``: runs client calls off the GUI thread and reports back by signals.
- ``models/``: Qt item models the views show; filled on the GUI thread.
- ``views/``: widgets and windows.
"""
