"""Atom feeds (RFC 4287) of what anyone may read: a council's proposals, rounds and decisions,
a petition's milestones and a council's answers to forwarded proposals (DESIGN.md §6,
issue 16). Each feed is one bounded query over public rows, rendered by one template."""
