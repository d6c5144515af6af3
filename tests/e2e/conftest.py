"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import pytest
from e2e_support import nianbao_command


@pytest.fixture(scope="session")
def nianbao() -> list[str]:
    return nianbao_command()
