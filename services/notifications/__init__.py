"""notifications: e-mails convocations, cancellations, recap sheets and reminders (R19, R20, R26)."""
