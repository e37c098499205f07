-- Enrollment's own tables: candidacies and what it learns of interviews (for R9's lock).

CREATE TABLE candidacies (
    campaign          text        NOT NULL,
    ine               text        NOT NULL,
    formation_code    text        NOT NULL,
    domain_code       text        NOT NULL,
    origin_uai        text        NOT NULL,
    channel           text        NOT NULL,
    last_name         text        NOT NULL,
    first_name        text        NOT NULL,
    birth_date        date        NOT NULL,
    class_level       text        NOT NULL,
    referent_name     text        NOT NULL,
    referent_email    text        NOT NULL,
    origin_opinion    text        NOT NULL CHECK (origin_opinion IN ('favorable', 'assez_favorable', 'reserve')),
    origin_comment    text        NOT NULL,
    active            boolean     NOT NULL DEFAULT true,
    revision          integer     NOT NULL DEFAULT 1,
    registered_at     timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    withdrawn_at      timestamptz,
    withdrawal_reason text,
    PRIMARY KEY (campaign, ine, formation_code)
);

CREATE INDEX candidacies_by_pupil_domain ON candidacies (campaign, ine, domain_code) WHERE active;

CREATE TABLE interviews (
    interview_id  uuid        PRIMARY KEY,
    campaign      text        NOT NULL,
    ine           text        NOT NULL,
    domain_code   text        NOT NULL,
    starts_at     timestamptz NOT NULL,
    status        text        NOT NULL CHECK (status IN ('booked', 'cancelled', 'attended', 'absent'))
);

CREATE INDEX interviews_by_pupil_domain ON interviews (campaign, ine, domain_code);
