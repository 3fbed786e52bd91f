"""The allocator tuning ramod applies at start-up."""

import ctypes.util

import pytest

from ramod.glibc_malloc import tune_allocator


@pytest.mark.skipif(ctypes.util.find_library("c") is None, reason="no C library found")
def test_glibc_accepts_the_settings():
    """glibc accepts every mallopt setting (a rejected one would silently do nothing)."""
    assert tune_allocator() is True
