"""The framework's cash-flow waterfall (CONTRACT.md §9).

- :mod:`~screening.finance.names`: the finance and profile field names;
- :mod:`~screening.finance.flows`: flows from a ``--cashflows`` file or the profile fields;
- :mod:`~screening.finance.waterfall`: the terms, the result, the one call that computes them;
- :mod:`~screening.finance.kernel`: the waterfall and both XIRRs per candidate, compiled (numba);
- :mod:`~screening.finance.loop`: the same in plain Python, one candidate at a time (the test oracle);
- :mod:`~screening.finance.compute`: the finance fields of a screening run (one call).
"""
