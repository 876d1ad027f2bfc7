"""Test configuration: hypothesis profiles, and parameter ids that are the same in every process.

``ci`` (the default) keeps the whole suite fast; ``dev`` searches harder. Select with the
``HYPOTHESIS_PROFILE`` environment variable, e.g. ``HYPOTHESIS_PROFILE=dev pytest tests``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import dualdiff as dd

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=25,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=1000,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_make_parametrize_id(config, val, argname):
    """Functions and ufuncs by name: their default ids carry a memory address, which differs
    between the test processes of pytest-xdist (which then refuses to run)."""
    name = getattr(val, "__name__", None)
    if callable(val) and isinstance(name, str):
        return name
    return None


@pytest.fixture
def kernels():
    """Kernels for every size, on one thread (shared by the modules that compile kernels:
    each compiled kernel costs about a second in CI, so tests reuse the same few)."""
    with dd.use_numba(True, threshold=0, parallel_threshold=10**12):
        yield
