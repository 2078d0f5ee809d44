"""The benchmark harness: re-runs a team's declared submission and measures it from outside."""
