-- Events handled in any order, and no mail sent twice with the same content (R10, R15, R19, R26).

-- R10, R19: a cancellation handled before the booking it cancels (the booking waited to be tried again and was
-- overtaken) is kept here, so that the late booking finds its interview cancelled and asks for no mail.
CREATE TABLE early_cancellations (
    interview_id   uuid PRIMARY KEY,
    campaign       text NOT NULL,
    cancel_reason  text NOT NULL
);

-- R15, R26: per pupil (recap sheets) or domain (shortfall mails), the digest of the last mail let go and its
-- key: a later mail with the same digest says nothing new to the same readers and is dropped.
CREATE TABLE sent_contents (
    campaign  text NOT NULL,
    subject   text NOT NULL,
    digest    text NOT NULL,
    mail_key  text NOT NULL,
    PRIMARY KEY (campaign, subject)
);
