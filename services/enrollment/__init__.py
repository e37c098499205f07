"""enrollment: validates and records candidacies and publishes them (R2–R12)."""
