"""Random draws for scenarios: one numpy ``Generator`` (PCG64) per stream, keyed by name.

Every stream is seeded from the spec's seed and a key: ``("candidate", id, field)`` for a
candidate's own draws, ``("shared", field)`` for a factor shared by all candidates. The key is
hashed (SHA-256, read little-endian, so the same on every platform) into the ``SeedSequence``'s
spawn key. So a candidate's draws depend only on the seed, its id and the field: not on its
place in the list, on the other candidates, or on how the run is chunked (a stream is read in
order, and numpy's ``Generator`` gives the same numbers in pieces as in one call).

numpy promises the same stream for the same seed across platforms, but not across every numpy
release: results are reproducible with the numpy version recorded in ``scenarios.json``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from screening.scenarios.spec import Distribution

#: Separates the parts of a stream key before hashing.
_SEP = "\x1f"


def stream(seed: int, *key: str) -> np.random.Generator:
    """The generator for ``key`` under ``seed`` (see the module docs)."""
    digest = hashlib.sha256(_SEP.join(key).encode("utf-8")).digest()
    words = tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=words)))


def sample(dist: Distribution, gen: np.random.Generator, size: int) -> np.ndarray:
    """``size`` draws of ``dist``: float64 for numeric distributions, object for a choice of text or bools."""
    p = dist.params
    if dist.name == "uniform":
        return gen.uniform(p[0], p[1], size) if p[0] < p[1] else _constant(gen, p[0], size)
    if dist.name == "normal":
        return gen.normal(p[0], p[1], size)
    if dist.name == "triangular":
        return gen.triangular(p[0], p[1], p[2], size) if p[0] < p[2] else _constant(gen, p[0], size)
    if dist.name == "lognormal":
        return gen.lognormal(p[0], p[1], size)
    if dist.name == "choice":
        weights = np.asarray(dist.weights, dtype=np.float64)
        cdf = np.cumsum(weights / weights.sum())
        picks = np.searchsorted(cdf, gen.random(size), side="right")
        picks = np.minimum(picks, len(cdf) - 1)  # u just below 1 when the cdf rounds under 1
        if dist.numeric:
            return np.asarray(dist.values, dtype=np.float64)[picks]
        values = np.empty(len(dist.values), dtype=object)
        values[:] = list(dist.values)
        return values[picks]
    raise ValueError(f"unknown distribution {dist.name}")  # pragma: no cover - the spec refuses it


def _constant(gen: np.random.Generator, value: float, size: int) -> np.ndarray:
    """A degenerate interval: the value every time (the stream still advances, as a draw would)."""
    gen.random(size)
    return np.full(size, value, dtype=np.float64)
