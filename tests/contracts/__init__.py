"""Contract tests: message round-trips, schema snapshots, routing names and the campaign file."""
