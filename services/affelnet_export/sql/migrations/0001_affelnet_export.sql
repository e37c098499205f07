-- Affelnet export's own tables: what it knows of candidacies, confirmations, final opinions, and bonuses.

CREATE TABLE candidacies (
    campaign        text    NOT NULL,
    ine             text    NOT NULL,
    formation_code  text    NOT NULL,
    origin_uai      text    NOT NULL,
    active          boolean NOT NULL,
    PRIMARY KEY (campaign, ine, formation_code)
);

CREATE TABLE confirmations (
    campaign         text        NOT NULL,
    ine              text        NOT NULL,
    formation_code   text        NOT NULL,
    wish_entered_on  date        NOT NULL,
    confirmed_at     timestamptz NOT NULL,
    PRIMARY KEY (campaign, ine, formation_code)
);

CREATE TABLE final_opinions (
    campaign        text NOT NULL,
    ine             text NOT NULL,
    formation_code  text NOT NULL,
    final_opinion   text NOT NULL,
    PRIMARY KEY (campaign, ine, formation_code)
);

-- R30: one bonus per candidacy; delivery state lives here, so retries survive restarts.
CREATE TABLE bonuses (
    campaign          text        NOT NULL,
    ine               text        NOT NULL,
    formation_code    text        NOT NULL,
    final_opinion     text        NOT NULL,
    bonus_points      integer     NOT NULL,
    idempotency_key   text        NOT NULL UNIQUE,
    state             text        NOT NULL CHECK (state IN ('pending', 'sending', 'delivered', 'parked', 'cancelled')),
    attempts          integer     NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    lease_until       timestamptz,
    last_status       integer,
    last_answer       text,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at      timestamptz,
    PRIMARY KEY (campaign, ine, formation_code)
);

CREATE INDEX bonuses_due ON bonuses (next_attempt_at) WHERE state IN ('pending', 'sending');
