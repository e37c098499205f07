-- Events about a pupil or a school go out on passpro.events and once per school concerned on passpro.schools,
-- all under the event's id, from the one transaction: a message id is unique per route, no longer alone.
ALTER TABLE outbox DROP CONSTRAINT outbox_message_id_key;
ALTER TABLE outbox ADD CONSTRAINT outbox_message_once_per_route UNIQUE (message_id, exchange, routing_key);

-- The schools a pupil (their origin schools) or an interview (its reception school) concerns, learnt from the
-- messages this service handled and published: later events that name only the INE or the interview still
-- reach those schools. Identifiers only; purged with the campaign.
CREATE TABLE school_links (
    campaign  text NOT NULL,
    subject   text NOT NULL,
    uai       text NOT NULL,
    PRIMARY KEY (campaign, subject, uai)
);
