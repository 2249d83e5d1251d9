"""Session hooks shared by the test families."""

from __future__ import annotations

import reliability_record


def pytest_sessionfinish(session, exitstatus) -> None:  # noqa: ARG001 - pytest's hook signature
    """Write the figures the reliability families recorded (see tests/reliability_record.py)."""
    reliability_record.flush()
