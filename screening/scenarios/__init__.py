"""Scenarios (CONTRACT.md §12): how likely is each candidate to pass when its figures move?

:mod:`~screening.scenarios.spec` reads and checks the spec, :mod:`~screening.scenarios.sampling`
draws, :mod:`~screening.scenarios.run` evaluates the draws with the vectorised engine, and
:mod:`~screening.scenarios.result` holds the shares and percentiles that renderers read.
"""
