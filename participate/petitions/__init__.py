"""Governance-change petitions (DESIGN.md §4): start, sponsor, moderate, sign, count, answer."""
