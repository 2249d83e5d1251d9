"""The expression language of rule files (CONTRACT.md §2): parse, type-check, evaluate."""
