-- name: lock_pupils!
-- Serialises what concerns each pupil (registrations, reports, withdrawals) for the rest of the transaction; the
-- locks of a set are taken in the order of their keys, so that two sets never wait for each other in a circle.
SELECT pg_advisory_xact_lock(k)
FROM (SELECT DISTINCT hashtext('opinions/' || :campaign || '/' || ine) AS k
      FROM unnest(:ines::text[]) AS ine ORDER BY k) AS keys;

-- name: save_candidacies!
-- The latest revision wins: a re-registration before the interview updates the origin opinion (R9). Each
-- candidacy once in a set.
INSERT INTO candidacies (campaign, ine, formation_code, domain_code, origin_uai, origin_opinion, revision, active)
SELECT :campaign, c.*, true
FROM unnest(:ines::text[], :formation_codes::text[], :domain_codes::text[], :origin_uais::text[],
            :origin_opinions::text[], :revisions::int[]) AS c
ON CONFLICT (campaign, ine, formation_code) DO UPDATE SET
    origin_opinion = excluded.origin_opinion, revision = excluded.revision, active = true,
    domain_code = excluded.domain_code, origin_uai = excluded.origin_uai
WHERE candidacies.revision <= excluded.revision;

-- name: withdraw_candidacy!
UPDATE candidacies SET active = false
WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code;

-- name: active_formations
SELECT formation_code FROM candidacies
WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code AND active;

-- name: lock_interviews!
-- Its booking and its cancellation handled at the same time (two batches) each see the other's rows only once
-- committed: without this, the cancellation found no interview and the booking no early cancellation. The locks
-- of a set are taken in the order of their keys.
SELECT pg_advisory_xact_lock(k)
FROM (SELECT DISTINCT hashtext('opinions/interview/' || CAST(id AS text)) AS k
      FROM unnest(:interview_ids::uuid[]) AS id ORDER BY k) AS keys;

-- name: record_interviews!
-- Each interview once in a set; one whose cancellation arrived first is recorded cancelled.
INSERT INTO interviews (interview_id, campaign, ine, domain_code, reception_uai, starts_at, due_on, cancelled)
SELECT i.interview_id, :campaign, i.ine, i.domain_code, i.reception_uai, i.starts_at, i.due_on,
       EXISTS (SELECT 1 FROM early_cancellations e WHERE e.interview_id = i.interview_id)
FROM unnest(:interview_ids::uuid[], :ines::text[], :domain_codes::text[], :reception_uais::text[],
            :starts_ats::timestamptz[], :due_ons::date[])
     AS i (interview_id, ine, domain_code, reception_uai, starts_at, due_on)
ON CONFLICT (interview_id) DO NOTHING;

-- name: cancel_interview$
-- True when the interview is known (a reported one stays as it is); false: its booking has not arrived yet.
WITH cancelled AS (
    UPDATE interviews SET cancelled = true WHERE interview_id = :interview_id AND reported_at IS NULL
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM interviews WHERE interview_id = :interview_id);

-- name: record_early_cancellation!
INSERT INTO early_cancellations (interview_id, campaign) VALUES (:interview_id, :campaign)
ON CONFLICT (interview_id) DO NOTHING;

-- name: get_interview^
SELECT interview_id, campaign, ine, domain_code, reception_uai, starts_at, cancelled, reported_at IS NOT NULL AS reported
FROM interviews WHERE interview_id = :interview_id;

-- name: record_report!
UPDATE interviews SET reported_at = :now, attended = :attended, report = :report
WHERE interview_id = :interview_id;

-- name: save_reception_opinion!
INSERT INTO reception_opinions (campaign, ine, formation_code, interview_id, opinion)
VALUES (:campaign, :ine, :formation_code, :interview_id, :opinion)
ON CONFLICT (campaign, ine, formation_code) DO UPDATE SET interview_id = excluded.interview_id,
    opinion = excluded.opinion;

-- name: pending_finals
-- R25: active candidacies of the pupils with both opinions and no final opinion yet.
SELECT c.ine, c.formation_code, c.origin_opinion, r.opinion AS reception_opinion
FROM candidacies c
JOIN reception_opinions r USING (campaign, ine, formation_code)
LEFT JOIN final_opinions f USING (campaign, ine, formation_code)
WHERE c.campaign = :campaign AND c.ine = ANY(:ines::text[]) AND c.active AND f.formation_code IS NULL
ORDER BY c.ine, c.formation_code;

-- name: save_final!
INSERT INTO final_opinions (campaign, ine, formation_code, origin_opinion, reception_opinion, final_opinion,
                            computed_at)
VALUES (:campaign, :ine, :formation_code, :origin_opinion, :reception_opinion, :final_opinion, :now);

-- name: overdue_reports
-- Reports not in by their due day, not yet told; one row per interview.
SELECT interview_id, reception_uai, due_on FROM interviews
WHERE campaign = :campaign AND reported_at IS NULL AND NOT cancelled AND overdue_notified_at IS NULL
  AND due_on < :today
ORDER BY due_on, interview_id
LIMIT 1000
FOR UPDATE SKIP LOCKED;

-- name: mark_overdue_told!
UPDATE interviews SET overdue_notified_at = :now WHERE interview_id = ANY(:ids);

-- name: figures_reports_by_school
-- Operators' funnel: per reception school, reports in, awaited (interview past, not yet due) and overdue.
SELECT reception_uai,
       count(*) FILTER (WHERE reported_at IS NOT NULL) AS reported,
       count(*) FILTER (WHERE reported_at IS NULL AND starts_at <= :now AND due_on >= :today) AS due,
       count(*) FILTER (WHERE reported_at IS NULL AND due_on < :today) AS overdue,
       count(*) FILTER (WHERE reported_at IS NULL AND starts_at > :now) AS upcoming
FROM interviews
WHERE campaign = :campaign AND NOT cancelled
GROUP BY reception_uai ORDER BY reception_uai;

-- name: figures_finals
SELECT final_opinion, count(*) AS n FROM final_opinions WHERE campaign = :campaign
GROUP BY final_opinion ORDER BY final_opinion;

-- name: figures_reports^
SELECT count(*) FILTER (WHERE attended) AS attended, count(*) FILTER (WHERE NOT attended) AS absent
FROM interviews WHERE campaign = :campaign AND reported_at IS NOT NULL;

-- name: purge_campaign$
-- A finished campaign's reports and opinions deleted.
WITH early_gone AS (DELETE FROM early_cancellations WHERE campaign = :campaign RETURNING 1),
     finals_gone AS (DELETE FROM final_opinions WHERE campaign = :campaign RETURNING 1),
     opinions_gone AS (DELETE FROM reception_opinions WHERE campaign = :campaign RETURNING 1),
     interviews_gone AS (DELETE FROM interviews WHERE campaign = :campaign RETURNING 1),
     candidacies_gone AS (DELETE FROM candidacies WHERE campaign = :campaign RETURNING 1)
SELECT (SELECT count(*) FROM early_gone) + (SELECT count(*) FROM finals_gone) + (SELECT count(*) FROM opinions_gone)
     + (SELECT count(*) FROM interviews_gone) + (SELECT count(*) FROM candidacies_gone);
