"""The outside world stood in for: a portal client, a mail sink, an Affelnet receiver (simulator, bench, tests)."""
