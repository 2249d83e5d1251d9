"""Eligibility screening for the US–Japan strategic investment framework."""

__version__ = "0.1.0"
