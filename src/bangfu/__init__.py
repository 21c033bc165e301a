"""Bangfu (帮扶): targeted poverty alleviation and East–West paired assistance."""

__version__ = "0.1.0"
