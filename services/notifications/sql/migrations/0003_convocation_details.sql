-- What the version 2 convocations and recap sheets need (R19, R20, R21, R26): the referent's name, the
-- reason and instant of a cancellation, the revisions of a convocation, and withdrawn candidacies kept.

-- R11, R19: the convocation names the referent and invites them (ICS ATTENDEE, CN = the name).
ALTER TABLE pupils ADD COLUMN referent_name text NOT NULL DEFAULT '';

-- R26: a withdrawn candidacy stays on the recap sheet, marked withdrawn (no final opinion, no bonus).
ALTER TABLE candidacies ADD COLUMN withdrawn boolean NOT NULL DEFAULT false;

-- R19: the cancellation mail says why; a convocation corrected after a partial withdrawal counts its revisions,
-- so each correction is one mail with a higher calendar SEQUENCE than the one before.
ALTER TABLE interviews ADD COLUMN cancel_reason text;
ALTER TABLE interviews ADD COLUMN revision integer NOT NULL DEFAULT 0;
-- Before this migration withdrawals were the only reason scheduling cancelled an interview.
UPDATE interviews SET cancel_reason = 'candidacies_withdrawn' WHERE cancelled;

-- R19: the ICS DTSTAMP is when the invitation was made (booking, correction or cancellation, on the campaign's
-- clock); a convocation's revision 0 is the first one, each later one a correction. Mails asked for before this
-- migration take the instant they were asked for.
ALTER TABLE mails ADD COLUMN stamped_at timestamptz;
ALTER TABLE mails ADD COLUMN revision integer NOT NULL DEFAULT 0;
UPDATE mails SET stamped_at = next_attempt_at WHERE kind IN ('convocation', 'cancellation');

CREATE INDEX mails_by_interview ON mails (interview_id) WHERE state = 'pending';
