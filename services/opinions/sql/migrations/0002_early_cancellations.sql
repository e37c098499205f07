-- R10, R22: a cancellation handled before the booking it cancels (the booking waited to be tried again and was
-- overtaken) is kept here, so that the late booking is recorded cancelled: no report is due, none is chased.
CREATE TABLE early_cancellations (
    interview_id  uuid PRIMARY KEY,
    campaign      text NOT NULL
);
