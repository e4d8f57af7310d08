"""A rule-based simulated customer: its agenda (what it wants) parsed from a task's instruction."""
