-- Opinions' own tables: candidacies' origin opinions, interviews and their reports, final opinions.

CREATE TABLE candidacies (
    campaign        text        NOT NULL,
    ine             text        NOT NULL,
    formation_code  text        NOT NULL,
    domain_code     text        NOT NULL,
    origin_uai      text        NOT NULL,
    origin_opinion  text        NOT NULL,
    revision        integer     NOT NULL,
    active          boolean     NOT NULL,
    PRIMARY KEY (campaign, ine, formation_code)
);

CREATE TABLE interviews (
    interview_id        uuid        PRIMARY KEY,
    campaign            text        NOT NULL,
    ine                 text        NOT NULL,
    domain_code         text        NOT NULL,
    reception_uai       text        NOT NULL,
    starts_at           timestamptz NOT NULL,
    due_on              date        NOT NULL,
    cancelled           boolean     NOT NULL DEFAULT false,
    reported_at         timestamptz,
    attended            boolean,
    report              text,
    overdue_notified_at timestamptz
);

CREATE INDEX interviews_unreported ON interviews (due_on) WHERE reported_at IS NULL AND NOT cancelled;

CREATE TABLE reception_opinions (
    campaign        text NOT NULL,
    ine             text NOT NULL,
    formation_code  text NOT NULL,
    interview_id    uuid NOT NULL REFERENCES interviews,
    opinion         text NOT NULL,
    PRIMARY KEY (campaign, ine, formation_code)
);

-- R25: one final opinion per candidacy, computed once.
CREATE TABLE final_opinions (
    campaign           text        NOT NULL,
    ine                text        NOT NULL,
    formation_code     text        NOT NULL,
    origin_opinion     text        NOT NULL,
    reception_opinion  text        NOT NULL,
    final_opinion      text        NOT NULL,
    computed_at        timestamptz NOT NULL,
    PRIMARY KEY (campaign, ine, formation_code)
);
