"""Incident Console: a desktop operations console that turns alerts into incidents."""

__version__ = "0.1.0"
