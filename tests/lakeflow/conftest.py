"""Silver tests use the session fixture ``built`` from tests/two_runs.py."""
