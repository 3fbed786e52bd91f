"""Packaging for Ramo: the ramod server (a twistd plugin) and the ramogui desktop app."""

from setuptools import find_packages, setup

setup(
    name="ramo",
    version="0.1.0",
    description="Self-hosted S3-compatible object storage on Twisted",
    python_requires=">=3.11",
    packages=find_packages(include=["ramod", "ramod.*", "ramoclient", "ramoclient.*",
                                    "ramogui", "ramogui.*"]) + ["twisted.plugins"],
    package_data={"twisted.plugins": ["ramod_plugin.py"], "ramogui.resources": ["*.svg"]},
    install_requires=[
        "twisted[tls]==26.10.0",
        "treq==26.7.0",
        "peewee==4.5.3",
        "lxml==6.1.3",
        "pyopenssl==26.4.0",
        # CRC32C and CRC64NVME at C speed (zlib only has CRC32): see README.
        "awscrt==0.38.1",
    ],
    extras_require={
        "postgres": ["psycopg2-binary==2.9.13"],
        # The desktop app. keyring: the OS's secret store for profile secrets (see README).
        # Not PySide6 6.12.0: on Python 3.11 its emit() drops a reference to True each call and
        # the interpreter aborts after a few hundred signals (tests/gui/test_gui_qt_binding.py).
        "gui": ["PySide6-Essentials==6.11.3", "keyring==25.7.0"],
    },
    entry_points={"console_scripts": ["ramoctl=ramod.ctl:main"],
                  "gui_scripts": ["ramogui=ramogui.app:main"]},
)
