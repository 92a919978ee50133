"""Hotline tips, with the caller's identity sealed."""
