-- R10, R19: whether a lease of the mail ran out while it was being sent. The sender that held it died, or was too
-- slow, maybe after SMTP had taken the mail: the mail may have gone out, whatever happens to it after. A
-- cancellation then goes to the family rather than risk a pupil going to a cancelled interview.
ALTER TABLE mails ADD COLUMN lease_ran_out boolean NOT NULL DEFAULT false;
