-- name: lock_pupil!
-- Serialises everything about one pupil across replicas until the transaction ends.
SELECT pg_advisory_xact_lock(hashtext('scheduling/' || :campaign || '/' || :ine));

-- name: lock_pupils!
-- lock_pupil for a set of pupils in one statement, the locks taken in the order of their keys, so that two sets
-- never wait for each other in a circle.
SELECT pg_advisory_xact_lock(k)
FROM (SELECT DISTINCT hashtext('scheduling/' || :campaign || '/' || ine) AS k
      FROM unnest(:ines::text[]) AS ine ORDER BY k) AS keys;

-- name: try_lock_pupil$
SELECT pg_try_advisory_xact_lock(hashtext('scheduling/' || :campaign || '/' || :ine));

-- name: get_needs
-- The needs of the (pupil, domain) pairs asked that exist.
SELECT n.ine, n.domain_code, n.origin_uai, n.registered_at, n.formation_codes, n.state, n.plan_after
FROM unnest(:ines::text[], :domain_codes::text[]) AS asked (ine, domain_code)
JOIN needs n ON n.campaign = :campaign AND n.ine = asked.ine AND n.domain_code = asked.domain_code;

-- name: add_formations
-- Each registration (or its update) adds its formation to the pupil's need in that domain; a need that was
-- withdrawn waits again. Each (pupil, domain) once in a set.
INSERT INTO needs (campaign, ine, domain_code, origin_uai, registered_at, formation_codes, state)
SELECT :campaign, r.ine, r.domain_code, r.origin_uai, r.registered_at, ARRAY[r.formation_code], 'waiting'
FROM unnest(:ines::text[], :domain_codes::text[], :origin_uais::text[], :registered_ats::timestamptz[],
            :formation_codes::text[]) AS r (ine, domain_code, origin_uai, registered_at, formation_code)
ON CONFLICT (campaign, ine, domain_code) DO UPDATE SET
    formation_codes = CASE WHEN excluded.formation_codes[1] = ANY(needs.formation_codes) THEN needs.formation_codes
                           ELSE needs.formation_codes || excluded.formation_codes END,
    registered_at = least(needs.registered_at, excluded.registered_at),
    state = CASE WHEN needs.state = 'withdrawn' THEN 'waiting' ELSE needs.state END
RETURNING ine, domain_code, origin_uai, registered_at, formation_codes, state, plan_after;

-- name: remove_formation^
UPDATE needs SET
    formation_codes = array_remove(formation_codes, CAST(:formation_code AS text)),
    state = CASE WHEN cardinality(array_remove(formation_codes, CAST(:formation_code AS text))) = 0 THEN 'withdrawn'
                 ELSE state END
WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code
RETURNING ine, domain_code, origin_uai, registered_at, formation_codes, state, plan_after;

-- name: set_need_state!
UPDATE needs SET state = :state WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code;

-- name: start_rounds!
-- R15: a need arriving for a pupil (re)starts their planning round: the needs of theirs still in a round, and
-- that of its domain_code, are planned together when it ends. A need already waiting for a seat stays out of the
-- round (domain_code NULL): the plan at its end takes it in all the same (handlers.plan), and taking it out of the
-- waiting count for the round's length would end the domain's shortfall episode, then tell the same shortfall
-- again. Each pupil once in a set.
UPDATE needs n SET plan_after = r.until
FROM unnest(:ines::text[], :untils::timestamptz[], :domain_codes::text[]) AS r (ine, until, domain_code)
WHERE n.campaign = :campaign AND n.ine = r.ine AND n.state = 'waiting'
  AND (n.plan_after IS NOT NULL OR n.domain_code = r.domain_code);

-- name: pupil_needs
SELECT ine, domain_code, origin_uai, registered_at, formation_codes, state, plan_after
FROM needs WHERE campaign = :campaign AND ine = :ine
ORDER BY registered_at, domain_code;

-- name: pupil_interviews
-- The interviews the pupil has: the planner keeps, moves or plans around them.
SELECT i.interview_id, i.domain_code, i.slot_id, i.reception_uai, i.starts_at, i.status
FROM interviews i
WHERE i.campaign = :campaign AND i.ine = :ine AND i.status IN ('booked', 'attended');

-- name: candidate_slots
-- A coarse filter, never a choice: every open slot of these domains with a free seat, starting
-- after the earliest instant a convocation allows. Which one fits and which one is preferred is the
-- planner's rule (domain.plan_pupil); this only keeps what can never be booked out of it.
SELECT slot_id, domain_code, reception_uai, starts_at, capacity - booked AS free_seats
FROM slots
WHERE campaign = :campaign AND domain_code = ANY(CAST(:domains AS text[])) AND booked < capacity
  AND cancelled_at IS NULL AND starts_at >= :earliest
ORDER BY domain_code, starts_at, slot_id;

-- name: take_seat^
-- The seat the plan chose, taken only if the slot is still open and not full: a transaction that
-- took the last seat meanwhile makes this wait for its commit, then find the slot full (no row) and
-- the plan is computed again. Callers take their seats in slot_id order, so two plans never deadlock.
UPDATE slots SET booked = booked + 1
WHERE slot_id = :slot_id AND booked < capacity AND cancelled_at IS NULL
RETURNING reception_uai, place, starts_at, ends_at, half_day;

-- name: record_interview^
-- The interview in the seat just taken; the need is booked and out of any round. The unique indexes
-- (one interview per domain, one per half-day) are the safety net under the planner's rule.
WITH need AS (
    SELECT ine, domain_code, origin_uai, formation_codes FROM needs
    WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code AND state IN ('waiting', 'booked')
), interview AS (
    INSERT INTO interviews (interview_id, campaign, ine, domain_code, origin_uai, slot_id, reception_uai, place,
                            starts_at, ends_at, half_day, formation_codes, status, booked_at)
    SELECT :interview_id, :campaign, need.ine, need.domain_code, need.origin_uai, :slot_id, :reception_uai, :place,
           :starts_at, :ends_at, :half_day, need.formation_codes, 'booked', :now
    FROM need
    RETURNING formation_codes
), marked AS (
    UPDATE needs SET state = 'booked', plan_after = NULL
    WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code
)
SELECT formation_codes FROM interview;

-- name: end_round!
-- The pupil was planned: needs still waiting now wait for a seat (the sweep and the shortfall see
-- them); a need whose round has not ended yet keeps it.
UPDATE needs SET plan_after = NULL
WHERE campaign = :campaign AND ine = :ine AND state = 'waiting' AND plan_after <= :now;

-- name: due_pupils
-- R15: pupils whose round has ended, oldest registration first.
SELECT ine FROM needs
WHERE campaign = :campaign AND state = 'waiting' AND plan_after <= :now
GROUP BY ine
ORDER BY min(registered_at), ine
LIMIT :limit;

-- name: active_interview^
SELECT interview_id, slot_id, starts_at, status FROM interviews
WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code AND status IN ('booked', 'attended');

-- name: cancel_interview!
WITH cancelled AS (
    UPDATE interviews SET status = 'cancelled', cancel_reason = :reason
    WHERE interview_id = :interview_id AND status = 'booked'
    RETURNING slot_id
)
UPDATE slots SET booked = booked - 1 FROM cancelled WHERE slots.slot_id = cancelled.slot_id;

-- name: report_attendance^
UPDATE interviews SET status = CASE WHEN :attended THEN 'attended' ELSE 'absent' END
WHERE interview_id = :interview_id AND status IN ('booked', 'attended', 'absent')
RETURNING ine, domain_code;

-- name: insert_slot$
-- A slot declared again (same school, domain and start) keeps its bookings and takes the larger
-- capacity; returns true when the slot is new.
INSERT INTO slots (slot_id, campaign, reception_uai, domain_code, place, starts_at, ends_at, half_day, capacity)
VALUES (:slot_id, :campaign, :reception_uai, :domain_code, :place, :starts_at, :ends_at, :half_day, :capacity)
ON CONFLICT (campaign, reception_uai, domain_code, starts_at) DO UPDATE SET
    capacity = greatest(slots.capacity, excluded.capacity), place = excluded.place, ends_at = excluded.ends_at
RETURNING (xmax = 0);

-- name: reopen_slots$
-- R14: a cancelled slot declared again opens again, empty of the pupils it lost (they keep the
-- interviews they were moved to); insert_slot then gives it the capacity now declared. The row
-- lock makes a concurrent cancellation and re-declaration of one slot apply one after the other.
WITH reopened AS (
    UPDATE slots SET cancelled_at = NULL, cancel_reason = NULL, capacity = greatest(booked, 1)
    WHERE campaign = :campaign AND reception_uai = :reception_uai AND domain_code = :domain_code
      AND starts_at = ANY(CAST(:starts AS timestamptz[])) AND cancelled_at IS NOT NULL
    RETURNING 1
)
SELECT count(*) FROM reopened;

-- name: pupils_booked_in_slots
-- Pupils whose interview in these slots has not started, read without locks: the cancellation takes
-- their locks before the slots' row locks, in the order every other use case takes them.
SELECT DISTINCT i.ine
FROM slots s JOIN interviews i ON i.slot_id = s.slot_id AND i.status = 'booked' AND i.starts_at > :now
WHERE s.campaign = :campaign AND s.reception_uai = :reception_uai AND s.domain_code = :domain_code
  AND s.starts_at = ANY(CAST(:starts AS timestamptz[]))
ORDER BY i.ine;

-- name: lock_slots
-- The school's slots at these instants, locked until the transaction ends: from then on no booking
-- can land in them (bookers wait, then re-check and skip them once cancelled).
SELECT slot_id, starts_at, cancelled_at IS NOT NULL AS cancelled
FROM slots
WHERE campaign = :campaign AND reception_uai = :reception_uai AND domain_code = :domain_code
  AND starts_at = ANY(CAST(:starts AS timestamptz[]))
ORDER BY slot_id
FOR UPDATE;

-- name: close_slots$
WITH closed AS (
    UPDATE slots SET cancelled_at = :now, cancel_reason = :reason
    WHERE slot_id = ANY(CAST(:slot_ids AS uuid[])) AND cancelled_at IS NULL
    RETURNING 1
)
SELECT count(*) FROM closed;

-- name: cancel_interviews_in_slots
-- R15: the interviews of the cancelled slots that have not started are cancelled, their seats freed
-- and their pupils' needs waiting again (keeping their place in line). Interviews already started
-- stay: they take place or took place.
WITH cancelled AS (
    UPDATE interviews SET status = 'cancelled', cancel_reason = :reason
    WHERE slot_id = ANY(CAST(:slot_ids AS uuid[])) AND status = 'booked' AND starts_at > :now
    RETURNING interview_id, slot_id, ine, domain_code
), freed AS (
    UPDATE slots SET booked = slots.booked - c.n
    FROM (SELECT slot_id, count(*) AS n FROM cancelled GROUP BY slot_id) c
    WHERE slots.slot_id = c.slot_id
), waiting AS (
    UPDATE needs SET state = 'waiting'
    FROM cancelled c
    WHERE needs.campaign = :campaign AND needs.ine = c.ine AND needs.domain_code = c.domain_code
      AND needs.state = 'booked'
    RETURNING needs.ine, needs.domain_code, needs.origin_uai, needs.registered_at, needs.formation_codes
)
-- A need not booked (none is, in practice) still gets its cancellation told, but is not booked again.
SELECT c.interview_id, c.ine, c.domain_code, w.origin_uai, w.registered_at, w.formation_codes
FROM cancelled c LEFT JOIN waiting w ON w.ine = c.ine AND w.domain_code = c.domain_code
ORDER BY w.registered_at NULLS LAST, c.ine;

-- name: waiting_pupils
-- Pupils planned and still waiting for a seat; those in a planning round are the planner's.
SELECT ine, domain_code, origin_uai, registered_at, formation_codes, state, plan_after
FROM needs
WHERE campaign = :campaign AND domain_code = :domain_code AND state = 'waiting' AND plan_after IS NULL
ORDER BY registered_at, ine
LIMIT :limit;

-- name: domains_to_drain
-- Domains where pupils wait while a seat far enough ahead is free.
SELECT DISTINCT n.domain_code
FROM needs n
WHERE n.campaign = :campaign AND n.state = 'waiting' AND n.plan_after IS NULL
  AND EXISTS (SELECT 1 FROM slots s WHERE s.campaign = n.campaign AND s.domain_code = n.domain_code
                                      AND s.booked < s.capacity AND s.cancelled_at IS NULL
                                      AND s.starts_at >= :earliest);

-- name: shortfall_changes
-- Per domain, the waiting count when it differs from the last one published. Only waiting pupils
-- are counted (the partial index needs_waiting), so a sweep costs what waits, not the campaign's size;
-- a pupil in their planning round does not wait yet.
WITH counts AS (
    SELECT domain_code, count(*) AS waiting
    FROM needs WHERE campaign = :campaign AND state = 'waiting' AND plan_after IS NULL GROUP BY domain_code
),
published AS (
    SELECT domain_code, waiting FROM shortfalls WHERE campaign = :campaign
)
SELECT coalesce(c.domain_code, p.domain_code) AS domain_code, coalesce(c.waiting, 0) AS waiting
FROM counts c
FULL JOIN published p ON p.domain_code = c.domain_code
WHERE coalesce(c.waiting, 0) <> coalesce(p.waiting, 0);

-- name: record_shortfall!
INSERT INTO shortfalls (campaign, domain_code, waiting, published_at)
VALUES (:campaign, :domain_code, :waiting, :now)
ON CONFLICT (campaign, domain_code) DO UPDATE SET waiting = excluded.waiting, published_at = excluded.published_at;

-- name: waiting_registered_before
-- R15: per domain, pupils registered before the deadline ended, planned and still waiting for a seat
-- (a pupil in their planning round is not waiting yet). The partial index needs_waiting keeps it to
-- what waits.
SELECT domain_code, count(*) AS waiting
FROM needs
WHERE campaign = :campaign AND state = 'waiting' AND plan_after IS NULL AND registered_at < :registered_before
GROUP BY domain_code
ORDER BY domain_code;

-- name: raise_alarm$
-- R15, R17: true only for the first raise of the day: a second sweep that day, or a replica racing
-- this one (it waits on the row, then sees today's date), updates nothing and returns nothing.
INSERT INTO alarms (campaign, domain_code, raised_on, waiting, raised_at)
VALUES (:campaign, :domain_code, :today, :waiting, :now)
ON CONFLICT (campaign, domain_code) DO UPDATE
    SET raised_on = excluded.raised_on, waiting = excluded.waiting, raised_at = excluded.raised_at
    WHERE alarms.raised_on < excluded.raised_on
RETURNING true;

-- name: no_shows_by_origin
-- R21: per origin school, interviews held or missed, and how many were missed.
SELECT origin_uai,
       count(*) FILTER (WHERE status IN ('attended', 'absent')) AS reported,
       count(*) FILTER (WHERE status = 'absent') AS absent
FROM interviews
WHERE campaign = :campaign
GROUP BY origin_uai
HAVING count(*) FILTER (WHERE status IN ('attended', 'absent')) > 0
ORDER BY count(*) FILTER (WHERE status = 'absent') DESC, origin_uai;

-- name: figures_needs_by_domain
-- Operators' funnel: per domain, pupils by state of their interview need, and the seats declared and taken.
SELECT d.domain_code,
       coalesce(n.waiting, 0) AS waiting, coalesce(n.booked, 0) AS booked, coalesce(n.held, 0) AS held,
       coalesce(n.absent, 0) AS absent, coalesce(n.withdrawn, 0) AS withdrawn,
       coalesce(s.seats, 0) AS seats_declared, coalesce(s.taken, 0) AS seats_taken
FROM (SELECT domain_code FROM needs WHERE campaign = :campaign
      UNION SELECT domain_code FROM slots WHERE campaign = :campaign) d
LEFT JOIN (SELECT domain_code,
                  count(*) FILTER (WHERE state = 'waiting') AS waiting,
                  count(*) FILTER (WHERE state = 'booked') AS booked,
                  count(*) FILTER (WHERE state = 'held') AS held,
                  count(*) FILTER (WHERE state = 'absent') AS absent,
                  count(*) FILTER (WHERE state = 'withdrawn') AS withdrawn
           FROM needs WHERE campaign = :campaign GROUP BY domain_code) n USING (domain_code)
-- A cancelled slot keeps only the seats of the interviews held in it.
LEFT JOIN (SELECT domain_code, sum(CASE WHEN cancelled_at IS NULL THEN capacity ELSE booked END) AS seats,
                  sum(booked) AS taken
           FROM slots WHERE campaign = :campaign GROUP BY domain_code) s USING (domain_code)
ORDER BY d.domain_code;

-- name: figures_interviews^
SELECT count(*) FILTER (WHERE status = 'booked') AS booked,
       count(*) FILTER (WHERE status = 'attended') AS attended,
       count(*) FILTER (WHERE status = 'absent') AS absent,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE status = 'booked' AND starts_at < :now) AS awaiting_report
FROM interviews WHERE campaign = :campaign;

-- name: purge_campaign$
-- A finished campaign's pupils' needs and interviews deleted; the slots (schools' data) with them.
WITH interviews_gone AS (DELETE FROM interviews WHERE campaign = :campaign RETURNING 1),
     needs_gone AS (DELETE FROM needs WHERE campaign = :campaign RETURNING 1),
     shortfalls_gone AS (DELETE FROM shortfalls WHERE campaign = :campaign RETURNING 1),
     alarms_gone AS (DELETE FROM alarms WHERE campaign = :campaign RETURNING 1),
     slots_gone AS (DELETE FROM slots WHERE campaign = :campaign RETURNING 1)
SELECT (SELECT count(*) FROM interviews_gone) + (SELECT count(*) FROM needs_gone)
     + (SELECT count(*) FROM shortfalls_gone) + (SELECT count(*) FROM alarms_gone) + (SELECT count(*) FROM slots_gone);
