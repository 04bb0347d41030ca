"""Shared-ownership votes: motions, secret ballots, weighted tallies (DESIGN §3)."""
