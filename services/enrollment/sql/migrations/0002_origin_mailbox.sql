-- The origin school's mailbox a registration gave (SAIO form schools without an académie mailbox),
-- kept on every candidacy of the pupil: the last one given is the pupil's, whatever formation it came with.
ALTER TABLE candidacies ADD COLUMN origin_mailbox text;
