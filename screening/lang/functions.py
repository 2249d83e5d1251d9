"""The language's functions on plain values. Missing in, missing out (``None``)."""

from __future__ import annotations

import datetime as dt

# S&P / Fitch long-term scale, best first; Moody's equivalents map onto the same ranks.
_SP = ["AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-",
       "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "D"]
_MOODYS = ["Aaa", "Aa1", "Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3", "Ba1", "Ba2", "Ba3",
           "B1", "B2", "B3", "Caa1", "Caa2", "Caa3", "Ca", "C"]

#: rating -> rank; higher is better (AAA = 22, D = 1). Unknown strings are missing.
RATING_RANK: dict[str, int] = {r: len(_SP) - i for i, r in enumerate(_SP)}
RATING_RANK.update({r: len(_SP) - i for i, r in enumerate(_MOODYS) if r not in RATING_RANK})


def rating(value: str | None) -> int | None:
    """Rank of a credit rating (``rating('AAA') > rating('BBB-')``); unknown or missing -> None."""
    if value is None:
        return None
    text = value.strip()
    return RATING_RANK.get(text, RATING_RANK.get(text.upper()))


def business_days(a: dt.date | None, b: dt.date | None) -> int | None:
    """Business days (Monday to Friday) from ``a`` to ``b``: the weekdays after ``a`` up to and
    including ``b``; negative when ``b`` is before ``a``. No public holidays are skipped.

    ``business_days(date('2026-02-17'), date('2026-04-21')) == 45``, as the approval flow's
    ``business_days: true`` deadlines count.
    """
    if a is None or b is None:
        return None
    if b < a:
        return -business_days(b, a)  # type: ignore[operator]
    whole_weeks, extra = divmod((b - a).days, 7)
    count = whole_weeks * 5
    weekday = a.weekday()
    for step in range(1, extra + 1):
        if (weekday + step) % 7 < 5:
            count += 1
    return count


def days(a: dt.date | None, b: dt.date | None) -> int | None:
    """Days from ``a`` to ``b`` (b - a)."""
    if a is None or b is None:
        return None
    return (b - a).days
