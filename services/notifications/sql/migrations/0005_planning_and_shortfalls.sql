-- Reception schools' planning sheets and the shortfall mails (R14, R15, R19).

-- The planning sheet shows the origin school's comment beside its opinion (the pupil's dossier, R8).
ALTER TABLE candidacies ADD COLUMN origin_comment text;

-- What a mail says when it is asked for, for mails whose facts must not shift before they go (a planning
-- sheet whose digest was recorded, a shortfall's figures).
ALTER TABLE mails ADD COLUMN facts jsonb;

ALTER TABLE mails DROP CONSTRAINT mails_kind_check;
ALTER TABLE mails ADD CONSTRAINT mails_kind_check CHECK (kind IN (
    'convocation', 'cancellation', 'interview_reminder', 'recap', 'overdue_reminder', 'planning', 'shortfall'));

-- One row per reception school and day that has had an interview. `changed` marks the days whose list must
-- be looked at again: the planning sweep reads those of the due days only, never the whole interviews table.
CREATE TABLE planning_days (
    campaign       text    NOT NULL,
    reception_uai  text    NOT NULL,
    day            date    NOT NULL,
    changed        boolean NOT NULL DEFAULT true,
    PRIMARY KEY (campaign, reception_uai, day)
);
CREATE INDEX planning_days_changed ON planning_days (campaign, day) WHERE changed;

-- Each planning sheet asked for, in versions: the digest of what it shows decides whether the next one is due.
CREATE TABLE planning_sheets (
    mail_key       text    PRIMARY KEY,
    campaign       text    NOT NULL,
    reception_uai  text    NOT NULL,
    day            date    NOT NULL,
    version        integer NOT NULL,
    fingerprint    text    NOT NULL,
    UNIQUE (campaign, reception_uai, day, version)
);

-- R15: per domain, the shortfall episode and the waiting count last told (NULL: nothing told in this episode).
CREATE TABLE shortfall_notices (
    campaign     text    NOT NULL,
    domain_code  text    NOT NULL,
    episode      integer NOT NULL DEFAULT 1,
    told_waiting integer,
    PRIMARY KEY (campaign, domain_code)
);

-- A school's interviews of one day, for its planning sheet.
CREATE INDEX interviews_by_school_day ON interviews (campaign, reception_uai, starts_at);
