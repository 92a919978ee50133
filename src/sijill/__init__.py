"""Sijill: a Unified Social Registry with privacy-preserving cross-agency matching."""

__version__ = "0.1.0"
