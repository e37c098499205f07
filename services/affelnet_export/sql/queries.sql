-- name: lock_pupils!
-- Serialises what concerns each pupil (registrations, final opinions, confirmations) for the rest of the
-- transaction; the locks of a set are taken in the order of their keys, so that two sets never wait for each other
-- in a circle.
SELECT pg_advisory_xact_lock(k)
FROM (SELECT DISTINCT hashtext('affelnet/' || :campaign || '/' || ine) AS k
      FROM unnest(:ines::text[]) AS ine ORDER BY k) AS keys;

-- name: save_candidacies!
-- Each candidacy once in a set; registered again, it is active again.
INSERT INTO candidacies (campaign, ine, formation_code, origin_uai, active)
SELECT :campaign, c.*, true
FROM unnest(:ines::text[], :formation_codes::text[], :origin_uais::text[]) AS c
ON CONFLICT (campaign, ine, formation_code) DO UPDATE SET origin_uai = excluded.origin_uai, active = true;

-- name: withdraw_candidacy!
UPDATE candidacies SET active = false
WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code;

-- name: cancel_pending_bonus!
-- A withdrawn candidacy's bonus that has not reached Affelnet is not sent.
UPDATE bonuses SET state = 'cancelled'
WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code AND state IN ('pending', 'parked');

-- name: get_candidacy^
SELECT origin_uai, active FROM candidacies
WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code;

-- name: save_confirmation!
INSERT INTO confirmations (campaign, ine, formation_code, wish_entered_on, confirmed_at)
VALUES (:campaign, :ine, :formation_code, :wish_entered_on, :now)
ON CONFLICT (campaign, ine, formation_code) DO UPDATE SET wish_entered_on = excluded.wish_entered_on;

-- name: save_final!
INSERT INTO final_opinions (campaign, ine, formation_code, final_opinion)
VALUES (:campaign, :ine, :formation_code, :final_opinion)
ON CONFLICT (campaign, ine, formation_code) DO NOTHING;

-- name: due_bonuses
-- R28: of the candidacies asked, the active ones with a final opinion and a confirmation, and no bonus yet.
SELECT k.ine, k.formation_code, f.final_opinion
FROM unnest(:ines::text[], :formation_codes::text[]) AS asked (ine, formation_code)
JOIN candidacies k ON k.campaign = :campaign AND k.ine = asked.ine AND k.formation_code = asked.formation_code
JOIN final_opinions f ON f.campaign = k.campaign AND f.ine = k.ine AND f.formation_code = k.formation_code
JOIN confirmations c ON c.campaign = k.campaign AND c.ine = k.ine AND c.formation_code = k.formation_code
LEFT JOIN bonuses b ON b.campaign = k.campaign AND b.ine = k.ine AND b.formation_code = k.formation_code
WHERE k.active AND b.ine IS NULL;

-- name: create_bonus!
INSERT INTO bonuses (campaign, ine, formation_code, final_opinion, bonus_points, idempotency_key, state,
                     correlation_id)
VALUES (:campaign, :ine, :formation_code, :final_opinion, :bonus_points, :idempotency_key, 'pending',
        :correlation_id)
ON CONFLICT DO NOTHING;

-- name: claim_due_bonuses
-- Bonuses due for an attempt (or whose sender's lease ran out), leased to this sender under a new token: the fence
-- every recording of Affelnet's answer checks (a slow sender whose lease was taken over records nothing).
UPDATE bonuses SET state = 'sending', lease_until = clock_timestamp() + make_interval(secs => :lease_seconds),
                   lease_token = gen_random_uuid()
WHERE (campaign, ine, formation_code) IN (
    SELECT campaign, ine, formation_code FROM bonuses
    WHERE (state = 'pending' AND next_attempt_at <= clock_timestamp())
       OR (state = 'sending' AND lease_until < clock_timestamp())
    ORDER BY next_attempt_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
RETURNING campaign, ine, formation_code, final_opinion, bonus_points, idempotency_key, attempts, correlation_id,
          lease_token;

-- name: mark_delivered^
UPDATE bonuses SET state = 'delivered', delivered_at = clock_timestamp(), attempts = attempts + 1,
                   last_status = :status, last_answer = :answer, lease_until = NULL
WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code AND state = 'sending'
  AND lease_token = :lease_token
RETURNING final_opinion, bonus_points;

-- name: schedule_retry$
-- R30: no answer, 408, 429, 5xx: tried again with back-off, under the same Idempotency-Key; only under the
-- sender's own lease.
UPDATE bonuses SET state = 'pending', attempts = attempts + 1, last_status = :status, last_answer = :answer,
                   next_attempt_at = clock_timestamp() + make_interval(secs => :delay_seconds), lease_until = NULL
WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code AND state = 'sending'
  AND lease_token = :lease_token
RETURNING true;

-- name: park$
-- R30: a permanent refusal (400, 422, ...): kept with Affelnet's answer for operators, who replay it after a fix.
UPDATE bonuses SET state = 'parked', attempts = attempts + 1, last_status = :status, last_answer = :answer,
                   lease_until = NULL
WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code AND state = 'sending'
  AND lease_token = :lease_token
RETURNING true;

-- name: parked_bonuses
-- Operators' view: the bonuses Affelnet refused for good, with its answer.
SELECT ine, formation_code, final_opinion, bonus_points, attempts, last_status, last_answer
FROM bonuses WHERE campaign = :campaign AND state = 'parked'
ORDER BY ine, formation_code
LIMIT :limit;

-- name: replay_parked$
-- After a fix, parked bonuses are tried again (all of a campaign, or one pupil's).
WITH replayed AS (
    UPDATE bonuses SET state = 'pending', next_attempt_at = clock_timestamp()
    WHERE campaign = :campaign AND state = 'parked' AND (CAST(:ine AS text) IS NULL OR ine = :ine)
      AND (CAST(:formation_code AS text) IS NULL OR formation_code = :formation_code)
    RETURNING 1
)
SELECT count(*) FROM replayed;

-- name: all_bonuses
SELECT campaign, ine, formation_code, final_opinion, bonus_points, state, attempts, last_status, last_answer,
       created_at, delivered_at
FROM bonuses WHERE campaign = :campaign ORDER BY state, ine, formation_code;

-- name: figures_confirmations$
SELECT count(*) FROM confirmations WHERE campaign = :campaign;

-- name: figures_bonuses
-- Operators' funnel: bonuses by delivery state.
SELECT state, count(*) AS n, coalesce(sum(bonus_points), 0) AS points FROM bonuses WHERE campaign = :campaign
GROUP BY state ORDER BY state;

-- name: purge_campaign$
-- A finished campaign's candidacies, confirmations, final opinions and bonuses deleted.
WITH bonuses_gone AS (DELETE FROM bonuses WHERE campaign = :campaign RETURNING 1),
     finals_gone AS (DELETE FROM final_opinions WHERE campaign = :campaign RETURNING 1),
     confirmations_gone AS (DELETE FROM confirmations WHERE campaign = :campaign RETURNING 1),
     candidacies_gone AS (DELETE FROM candidacies WHERE campaign = :campaign RETURNING 1)
SELECT (SELECT count(*) FROM bonuses_gone) + (SELECT count(*) FROM finals_gone)
     + (SELECT count(*) FROM confirmations_gone) + (SELECT count(*) FROM candidacies_gone);
