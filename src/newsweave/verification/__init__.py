"""Verification: every cited sentence checked against the text of the reports it cites."""
