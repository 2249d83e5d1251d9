"""The framework's cash-flow waterfall (CONTRACT.md §9).

- :mod:`~screening.finance.names`: the finance and profile field names;
- :mod:`~screening.finance.flows`: flows from a ``--cashflows`` file or the profile fields;
- :mod:`~screening.finance.waterfall`: the waterfall, vectorised over candidates x dates;
- :mod:`~screening.finance.loop`: the same, one candidate at a time (the test oracle);
- :mod:`~screening.finance.xirr`: XIRR for many series at once;
- :mod:`~screening.finance.workspace`: scratch arrays reused from one block of candidates to the next;
- :mod:`~screening.finance.compute`: the finance fields of a screening run (one call).
"""
