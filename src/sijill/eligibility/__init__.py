"""Eligibility rules (data, versioned) and the findings they raise from hits and registry facts."""
