"""Offline understanding: a classifier trained from the processes' example utterances, and typed
slot extractors. No model, no key, no network."""
