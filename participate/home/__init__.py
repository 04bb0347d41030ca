"""What needs me: each signed-in person's home (DESIGN §6, issue 15).

One service (`participate.home.services.agenda_for`) gathers, in a fixed number of grouped
queries, what each role can act on now: a member's votes, rounds, petitions and replies; a
clerk's join requests, flags, petitions to check and answer, near deadlines and consultation
positions; an inbox answerer's (a minister's) waiting clusters and closing consultations.
The page ``/me``, the home page's panel and ``GET /api/v1/me/agenda`` all show it.
"""
