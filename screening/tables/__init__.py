"""Decision tables (CONTRACT.md §13): named values decided by rows of cell tests.

A table is compiled into the rule language itself: every cell becomes an expression over the
table's input (``tenor < 10``, ``10 <= tenor and tenor < 20``, ``sector in ['energy']``) and every
row the Kleene conjunction of its cells. Evaluation is therefore the language's own, in each
backend: :mod:`screening.tables.decide` (the reference, one candidate at a time) and
:mod:`screening.tables.columns` (over whole columns, for the vector backend). Tables are derived
values: they are computed with the derived fields, before any rule runs (and so before
durable_rules sees a fact).

Modules: ``cells`` (the cell language), ``sources`` (``from:`` CSV/XLSX files), ``compile``
(a table spec to a :class:`~screening.tables.compile.PackTable`), ``decide``, ``columns``,
``verify`` (overlaps and gaps, exactly), ``trace`` (what explanations show).
"""
