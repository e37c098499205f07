-- Scheduling's own tables: declared slots, each pupil's need of an interview per domain, interviews.

CREATE TABLE slots (
    slot_id        uuid        PRIMARY KEY,
    campaign       text        NOT NULL,
    reception_uai  text        NOT NULL,
    domain_code    text        NOT NULL,
    place          text        NOT NULL,
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    half_day       text        NOT NULL,
    capacity       integer     NOT NULL CHECK (capacity > 0),
    -- No seat over capacity, whatever the number of replicas booking at once.
    booked         integer     NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
    UNIQUE (campaign, reception_uai, domain_code, starts_at)
);

CREATE INDEX slots_with_seats ON slots (campaign, domain_code, starts_at) WHERE booked < capacity;

-- A pupil's need of one interview in a domain (R13), whatever the number of formations.
CREATE TABLE needs (
    campaign         text        NOT NULL,
    ine              text        NOT NULL,
    domain_code      text        NOT NULL,
    origin_uai       text        NOT NULL,
    registered_at    timestamptz NOT NULL,
    formation_codes  text[]      NOT NULL DEFAULT '{}',
    state            text        NOT NULL CHECK (state IN ('waiting', 'booked', 'held', 'absent', 'withdrawn')),
    PRIMARY KEY (campaign, ine, domain_code)
);

CREATE INDEX needs_waiting ON needs (campaign, domain_code, registered_at) WHERE state = 'waiting';

CREATE TABLE interviews (
    interview_id     uuid        PRIMARY KEY,
    campaign         text        NOT NULL,
    ine              text        NOT NULL,
    domain_code      text        NOT NULL,
    origin_uai       text        NOT NULL,
    slot_id          uuid        NOT NULL REFERENCES slots,
    reception_uai    text        NOT NULL,
    place            text        NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    half_day         text,
    formation_codes  text[]      NOT NULL,
    status           text        NOT NULL CHECK (status IN ('booked', 'cancelled', 'attended', 'absent')),
    booked_at        timestamptz NOT NULL,
    cancel_reason    text
);

-- R13: one interview per pupil per domain; R16: never two on the same half-day (NULL when the rule is off).
CREATE UNIQUE INDEX one_interview_per_domain ON interviews (campaign, ine, domain_code)
    WHERE status IN ('booked', 'attended');
CREATE UNIQUE INDEX one_interview_per_half_day ON interviews (campaign, ine, half_day)
    WHERE status IN ('booked', 'attended');
CREATE INDEX interviews_by_pupil ON interviews (campaign, ine);

-- The last waiting count published per domain, so shortfalls are told when they change, not per pupil.
CREATE TABLE shortfalls (
    campaign      text        NOT NULL,
    domain_code   text        NOT NULL,
    waiting       integer     NOT NULL,
    published_at  timestamptz NOT NULL,
    PRIMARY KEY (campaign, domain_code)
);
