"""The benchmark workloads ``participate seed --scale N`` (N > 1) adds to the demo, bulk
inserted: a proposal with 1,000 comments and a council with 10,000 proposals (``proposals``),
and a national inbox of up to 100,000 forwarded proposals (``upward``). ``bench/`` loads them
the same way."""
