-- R15: a pupil's needs are planned together. A need to plan carries the instant its planning round
-- ends (needs of one pupil arriving within the round are planned in one go); NULL once planned: a
-- need still waiting then waits for a seat, and the sweep offers it the seats that free up.

ALTER TABLE needs ADD COLUMN plan_after timestamptz;

-- The planner takes the due pupils; only needs in a round are indexed, so it costs what is due.
CREATE INDEX needs_to_plan ON needs (campaign, plan_after) WHERE state = 'waiting' AND plan_after IS NOT NULL;

-- The sweep and the shortfall count look at needs planned and still waiting only.
DROP INDEX needs_waiting;
CREATE INDEX needs_waiting ON needs (campaign, domain_code, registered_at) WHERE state = 'waiting' AND plan_after IS NULL;
