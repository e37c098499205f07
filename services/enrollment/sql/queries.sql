-- name: lock_pupil!
-- Serialises the commands of one pupil across replicas for the rest of the transaction. Its own
-- statement: a statement's snapshot predates a lock it waits for, so reads come after, separately.
SELECT pg_advisory_xact_lock(hashtext(:campaign || '/' || :ine));

-- name: pupil_state^
-- What the rules need, in one round trip: the candidacy, the pupil's origin school (and the mailbox
-- last given for it, the same on all the pupil's rows), and whether
-- the interview of the formation's domain took place (R9: reported attended, or a booked one started).
SELECT c.formation_code, c.domain_code, c.origin_uai, c.origin_opinion, c.origin_comment, c.active,
       c.revision, c.registered_at,
       (SELECT p.origin_uai FROM candidacies p WHERE p.campaign = :campaign AND p.ine = :ine LIMIT 1)
           AS pupil_origin_uai,
       (SELECT p.origin_mailbox FROM candidacies p
        WHERE p.campaign = :campaign AND p.ine = :ine AND p.origin_mailbox IS NOT NULL LIMIT 1)
           AS pupil_origin_mailbox,
       EXISTS (
           SELECT 1 FROM interviews i
           WHERE i.campaign = :campaign AND i.ine = :ine AND i.domain_code = :domain_code
             AND (i.status = 'attended' OR (i.status = 'booked' AND i.starts_at <= :now))
       ) AS interview_held
FROM (SELECT 1) AS one
LEFT JOIN candidacies c
       ON c.campaign = :campaign AND c.ine = :ine AND c.formation_code = :formation_code;

-- name: save_registration<!
INSERT INTO candidacies (
    campaign, ine, formation_code, domain_code, origin_uai, channel, last_name, first_name, birth_date,
    class_level, referent_name, referent_email, origin_opinion, origin_comment, active, revision,
    registered_at, updated_at, origin_mailbox
) VALUES (
    :campaign, :ine, :formation_code, :domain_code, :origin_uai, :channel, :last_name, :first_name,
    :birth_date, :class_level, :referent_name, :referent_email, :origin_opinion, :origin_comment, true,
    :revision, :now, :now, :origin_mailbox
)
ON CONFLICT (campaign, ine, formation_code) DO UPDATE SET
    channel = excluded.channel, last_name = excluded.last_name, first_name = excluded.first_name,
    birth_date = excluded.birth_date, class_level = excluded.class_level,
    referent_name = excluded.referent_name, referent_email = excluded.referent_email,
    origin_opinion = excluded.origin_opinion, origin_comment = excluded.origin_comment,
    active = true, revision = excluded.revision, updated_at = excluded.updated_at,
    withdrawn_at = NULL, withdrawal_reason = NULL, origin_mailbox = excluded.origin_mailbox
RETURNING registered_at;

-- name: share_origin_mailbox!
-- R9: the mailbox a registration gives becomes the pupil's, on every candidacy, so that the next
-- registration of any formation reads it back.
UPDATE candidacies SET origin_mailbox = :origin_mailbox
WHERE campaign = :campaign AND ine = :ine AND origin_mailbox IS DISTINCT FROM :origin_mailbox;

-- name: withdraw!
UPDATE candidacies
SET active = false, withdrawn_at = :now, updated_at = :now, withdrawal_reason = :reason,
    revision = revision + 1
WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code;

-- name: active_in_domain$
SELECT count(*) FROM candidacies
WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code AND active;

-- name: interview_status$
SELECT status FROM interviews WHERE interview_id = :interview_id;

-- name: save_interview!
-- The status domain.interview_status decided; a booking brings the start, a cancellation or a report does not.
INSERT INTO interviews (interview_id, campaign, ine, domain_code, starts_at, status)
VALUES (:interview_id, :campaign, :ine, :domain_code, :starts_at, :status)
ON CONFLICT (interview_id) DO UPDATE SET status = excluded.status,
    starts_at = coalesce(excluded.starts_at, interviews.starts_at);

-- name: figures_candidacies^
-- Operators' funnel: candidacies and pupils of the campaign.
SELECT count(*) AS registered,
       count(*) FILTER (WHERE active) AS active,
       count(*) FILTER (WHERE NOT active) AS withdrawn,
       count(DISTINCT ine) AS pupils,
       count(DISTINCT ine) FILTER (WHERE active) AS pupils_active,
       count(DISTINCT origin_uai) AS origin_schools,
       count(*) FILTER (WHERE channel = 'saio_form') AS via_saio_form
FROM candidacies WHERE campaign = :campaign;

-- name: figures_by_domain
SELECT domain_code,
       count(*) FILTER (WHERE active) AS active,
       count(*) FILTER (WHERE NOT active) AS withdrawn
FROM candidacies WHERE campaign = :campaign
GROUP BY domain_code ORDER BY domain_code;

-- name: purge_campaign$
-- A finished campaign's candidacies, with the pupils' and referents' names and the comments, deleted.
WITH candidacies_gone AS (DELETE FROM candidacies WHERE campaign = :campaign RETURNING 1),
     interviews_gone AS (DELETE FROM interviews WHERE campaign = :campaign RETURNING 1)
SELECT (SELECT count(*) FROM candidacies_gone) + (SELECT count(*) FROM interviews_gone);
