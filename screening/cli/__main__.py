"""``python -m screening.cli``."""

from screening.cli import main

main()
