-- name: claim_message_and_read_clock^
-- Claims the message for this consumer (nothing claimed means it was already handled)
-- and reads the service's clock, in one round trip.
WITH claim AS (
    INSERT INTO inbox (consumer, message_id) VALUES (:consumer, :message_id)
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM claim) = 1 AS claimed,
       coalesce((SELECT base + (clock_timestamp() - set_at) FROM clock), clock_timestamp()) AS now;

-- name: add_outbox_messages*!
INSERT INTO outbox (message_id, exchange, routing_key, body, headers, correlation_id)
VALUES (:message_id, :exchange, :routing_key, :body, :headers, :correlation_id);

-- name: claim_outbox_batch
SELECT id, message_id, exchange, routing_key, body, headers, correlation_id, created_at
FROM outbox
ORDER BY id
LIMIT :limit
FOR UPDATE SKIP LOCKED;

-- name: delete_sent!
DELETE FROM outbox WHERE id = ANY(:ids);

-- name: outbox_backlog$
SELECT count(*) FROM outbox;

-- name: init_clock!
INSERT INTO clock (base) VALUES (:base) ON CONFLICT (singleton) DO NOTHING;

-- name: move_clock$
-- Moves the virtual clock to :to unless it already is later; returns the instant it shows now.
UPDATE clock
SET base = greatest(:to, base + (clock_timestamp() - set_at)), set_at = clock_timestamp()
RETURNING base;

-- name: current_instant$
SELECT coalesce((SELECT base + (clock_timestamp() - set_at) FROM clock), clock_timestamp());

-- name: try_lock$
-- A transaction-scoped lock on a name; false when another transaction holds it.
SELECT pg_try_advisory_xact_lock(hashtext(:key));

-- name: use_wall_clock!
-- Started on the wall clock: a virtual instant left by an earlier run no longer applies.
UPDATE clock SET base = NULL, set_at = clock_timestamp();

-- name: link_schools*!
-- A pupil ('pupil:<ine>') or an interview ('interview:<id>') concerns this school; learnt once, kept as a set.
INSERT INTO school_links (campaign, subject, uai) VALUES (:campaign, :subject, :uai)
ON CONFLICT DO NOTHING;

-- name: linked_schools
-- The schools the subjects of a batch of events concern, in one round trip.
SELECT subject, uai FROM school_links WHERE campaign = :campaign AND subject = ANY(:subjects);

-- name: purge_school_links$
-- The pupils' INEs go with the campaign's other personal data.
WITH gone AS (DELETE FROM school_links WHERE campaign = :campaign RETURNING 1) SELECT count(*) FROM gone;
