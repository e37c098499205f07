-- A pupil's interviews of a domain (the calendar entry's sequence) and the reminders still due were
-- found by reading the whole table: once per mail and on every sweep, so a campaign of 40,000
-- interviews read it tens of thousands of times.
CREATE INDEX interviews_by_pupil_domain ON interviews (campaign, ine, domain_code);
CREATE INDEX interviews_reminder_due ON interviews (campaign, starts_at) WHERE reminder_due AND NOT cancelled;
