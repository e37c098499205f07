-- Plumbing every service has in its own schema: inbox, outbox and the clock.

CREATE TABLE inbox (
    consumer     text        NOT NULL,
    message_id   text        NOT NULL,
    handled_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consumer, message_id)
);

CREATE TABLE outbox (
    id              bigserial   PRIMARY KEY,
    message_id      text        NOT NULL UNIQUE,
    exchange        text        NOT NULL,
    routing_key     text        NOT NULL,
    body            bytea       NOT NULL,
    headers         jsonb       NOT NULL DEFAULT '{}',
    correlation_id  text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- One row: the virtual instant `base` was reached at wall instant `set_at`; NULL base means wall clock.
CREATE TABLE clock (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    base       timestamptz,
    set_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
