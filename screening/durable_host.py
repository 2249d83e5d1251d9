"""The one place the project imports durable_rules.

durable_rules' ``engine.Host`` starts background timer threads that run queued actions on
their own schedule, which makes results depend on timing. :class:`SyncHost` switches them off:
every action then runs synchronously inside ``post``/``assert_fact``, so a caller knows that
when the call returns, every consequence has happened.
"""

from __future__ import annotations

import itertools

from durable import engine as _engine

MessageNotHandledException = _engine.MessageNotHandledException

_names = itertools.count(1)


class SyncHost(_engine.Host):
    """A durable_rules host without background dispatch threads (deterministic, synchronous)."""

    def _run(self) -> None:  # noqa: D401 - overrides the thread starter
        """Start no timer threads; actions run inside the calls that trigger them."""


def unique_name(prefix: str) -> str:
    """A ruleset name never used before in this process (durable registers names once)."""
    return f"{prefix}_{next(_names)}"


def durable_version() -> str:
    from importlib.metadata import version
    return version("durable_rules")
