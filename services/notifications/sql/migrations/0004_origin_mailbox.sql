-- The origin school's mailbox a registration gave for the pupil (schools using the SAIO form without a
-- mailbox in the directory): mails about the pupil for the origin school go there.
ALTER TABLE pupils ADD COLUMN origin_mailbox text;
