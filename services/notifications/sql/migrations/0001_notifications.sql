-- Notifications' own tables: what mails need (pupils, interviews, results) and the mails themselves.

CREATE TABLE pupils (
    campaign        text NOT NULL,
    ine             text NOT NULL,
    first_name      text NOT NULL,
    last_name       text NOT NULL,
    origin_uai      text NOT NULL,
    referent_email  text NOT NULL,
    revision        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign, ine)
);

CREATE TABLE candidacies (
    campaign        text NOT NULL,
    ine             text NOT NULL,
    formation_code  text NOT NULL,
    domain_code     text NOT NULL,
    origin_opinion  text NOT NULL,
    PRIMARY KEY (campaign, ine, formation_code)
);

CREATE TABLE interviews (
    interview_id     uuid        PRIMARY KEY,
    campaign         text        NOT NULL,
    ine              text        NOT NULL,
    domain_code      text        NOT NULL,
    reception_uai    text        NOT NULL,
    place            text        NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    formation_codes  text[]      NOT NULL,
    cancelled        boolean     NOT NULL DEFAULT false,
    reminder_due     boolean     NOT NULL DEFAULT true
);

CREATE TABLE reports (
    campaign      text    NOT NULL,
    ine           text    NOT NULL,
    domain_code   text    NOT NULL,
    interview_id  uuid    NOT NULL,
    attended      boolean NOT NULL,
    report        text    NOT NULL,
    PRIMARY KEY (campaign, ine, domain_code)
);

CREATE TABLE finals (
    campaign           text NOT NULL,
    ine                text NOT NULL,
    formation_code     text NOT NULL,
    reception_opinion  text NOT NULL,
    final_opinion      text NOT NULL,
    PRIMARY KEY (campaign, ine, formation_code)
);

CREATE TABLE overdue_items (
    interview_id   uuid PRIMARY KEY,
    reception_uai  text NOT NULL,
    due_on         date NOT NULL,
    mail_key       text NOT NULL
);

-- One row per mail, keyed by what it is about: a mail is sent once (R19, R26).
CREATE TABLE mails (
    key              text        PRIMARY KEY,
    campaign         text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('convocation', 'cancellation', 'interview_reminder',
                                                          'recap', 'overdue_reminder')),
    ine              text,
    interview_id     uuid,
    domain_code      text,
    reception_uai    text,
    state            text        NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'dropped')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    lease_until      timestamptz,
    last_error       text,
    recipients       text[],
    sent_at          timestamptz
);

CREATE INDEX mails_due ON mails (next_attempt_at) WHERE state IN ('pending', 'sending');
