-- The conversation that made a bonus due (the portal's command, through the events it caused), so an
-- operator can follow one correlation id from the portal to the Affelnet call.
ALTER TABLE bonuses ADD COLUMN correlation_id text;
