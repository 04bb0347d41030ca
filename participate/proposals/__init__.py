"""Proposal threads: proposals, threaded comments with a stance, supports, amendments,
moderation, search and follows (DESIGN.md §2, issue 3).

The rules (who may do what in which status, the validators, the bridging score, diffs) live in
`participate.core.proposals`; this package loads rows, applies those rules and writes.
"""
