-- Fenced leases and permanent refusals of mails (R19, R20b, R26).

-- The token of the lease a sender holds on a mail, new at each lease: a sender records its result only while the
-- mail still carries its token, so a sender whose lease ran out and was taken over records nothing.
ALTER TABLE mails ADD COLUMN lease_token uuid;

-- Why the mail server refused the mail for good (its SMTP code and a short text, never an address); for a mail
-- sent to some recipients only, who never got it, by role (referent, origin_school, ...), never by address.
ALTER TABLE mails ADD COLUMN refusal text;
ALTER TABLE mails ADD COLUMN refused_roles text[];

ALTER TABLE mails DROP CONSTRAINT mails_state_check;
ALTER TABLE mails ADD CONSTRAINT mails_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'dropped', 'refused'));

-- Operators list refused mails and mails sent with refused recipients: few rows among many.
CREATE INDEX mails_refusals ON mails (campaign) WHERE state = 'refused' OR refused_roles IS NOT NULL;
