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

-- name: add_outbox_messages
-- All of a transaction's outgoing rows in one statement (one round trip however many); the ids come back
-- so that, once the transaction commits, the relay publishes them from memory without reading them again.
INSERT INTO outbox (message_id, exchange, routing_key, body, headers, correlation_id)
SELECT * FROM unnest(:message_ids::text[], :exchanges::text[], :routing_keys::text[], :bodies::bytea[],
                     :headers::jsonb[], :correlation_ids::text[])
RETURNING id, message_id, exchange, routing_key, created_at;

-- name: claim_outbox_batch
-- Rows nobody handed to a relay in memory: a crashed process's (older than :min_age_s, so that a live
-- replica's rows in flight are left to it), or the workers' (:min_age_s 0). Those this relay already holds
-- are skipped; SKIP LOCKED shares the rest between replicas.
SELECT id, message_id, exchange, routing_key, body, headers, correlation_id, created_at
FROM outbox
WHERE created_at <= clock_timestamp() - make_interval(secs => :min_age_s) AND id <> ALL(:held::bigint[])
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

-- name: claim_messages_and_read_clock^
-- A batch's claims in one statement: the ids returned are this consumer's to handle (the others were
-- handled before, or appear twice in the batch: the first is kept); with the service's clock.
WITH claim AS (
    INSERT INTO inbox (consumer, message_id)
    SELECT :consumer, id FROM unnest(:message_ids::text[]) AS id
    ON CONFLICT DO NOTHING
    RETURNING message_id
)
SELECT array(SELECT message_id FROM claim) AS claimed,
       coalesce((SELECT base + (clock_timestamp() - set_at) FROM clock), clock_timestamp()) AS now;
