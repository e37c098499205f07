-- name: lock_pupils!
-- Serialises the commands and interview news of each pupil across replicas for the rest of the transaction,
-- for a set of pupils in one statement. The locks are taken in the order of their keys, so that two
-- transactions locking some of the same pupils do not wait for each other in a circle. Its own statement: a
-- statement's snapshot predates a lock it waits for, so reads come after, separately.
SELECT pg_advisory_xact_lock(k)
FROM (SELECT DISTINCT hashtext(:campaign || '/' || ine) AS k FROM unnest(:ines::text[]) AS ine ORDER BY k) AS keys;

-- name: pupil_states
-- What the rules need for each (pupil, formation, domain) asked, in one round trip, in the order asked: the
-- candidacy, the pupil's origin school (and the mailbox last given for it, the same on all the pupil's rows),
-- and whether the interview of the formation's domain took place (R9: reported attended, or a booked one
-- started).
SELECT c.formation_code, c.domain_code, c.origin_uai, c.origin_opinion, c.origin_comment, c.active,
       c.revision, c.registered_at,
       (SELECT p.origin_uai FROM candidacies p WHERE p.campaign = :campaign AND p.ine = asked.ine LIMIT 1)
           AS pupil_origin_uai,
       (SELECT p.origin_mailbox FROM candidacies p
        WHERE p.campaign = :campaign AND p.ine = asked.ine AND p.origin_mailbox IS NOT NULL LIMIT 1)
           AS pupil_origin_mailbox,
       EXISTS (
           SELECT 1 FROM interviews i
           WHERE i.campaign = :campaign AND i.ine = asked.ine AND i.domain_code = asked.domain_code
             AND (i.status = 'attended' OR (i.status = 'booked' AND i.starts_at <= :now))
       ) AS interview_held
FROM unnest(:ines::text[], :formation_codes::text[], :domain_codes::text[])
     WITH ORDINALITY AS asked (ine, formation_code, domain_code, n)
LEFT JOIN candidacies c
       ON c.campaign = :campaign AND c.ine = asked.ine AND c.formation_code = asked.formation_code
ORDER BY asked.n;

-- name: save_registrations
-- Creates or updates each candidacy, one row per (pupil, formation) (the handler never gives one twice);
-- returns each one's first registration instant.
INSERT INTO candidacies (
    campaign, ine, formation_code, domain_code, origin_uai, channel, last_name, first_name, birth_date,
    class_level, referent_name, referent_email, origin_opinion, origin_comment, active, revision,
    registered_at, updated_at, origin_mailbox
)
SELECT :campaign, r.ine, r.formation_code, r.domain_code, r.origin_uai, r.channel, r.last_name, r.first_name,
       r.birth_date, r.class_level, r.referent_name, r.referent_email, r.origin_opinion, r.origin_comment, true,
       r.revision, :now, :now, r.origin_mailbox
FROM unnest(:ines::text[], :formation_codes::text[], :domain_codes::text[], :origin_uais::text[],
            :channels::text[], :last_names::text[], :first_names::text[], :birth_dates::date[],
            :class_levels::text[], :referent_names::text[], :referent_emails::text[], :origin_opinions::text[],
            :origin_comments::text[], :revisions::int[], :origin_mailboxes::text[])
     AS r (ine, formation_code, domain_code, origin_uai, channel, last_name, first_name, birth_date, class_level,
           referent_name, referent_email, origin_opinion, origin_comment, revision, origin_mailbox)
ON CONFLICT (campaign, ine, formation_code) DO UPDATE SET
    channel = excluded.channel, last_name = excluded.last_name, first_name = excluded.first_name,
    birth_date = excluded.birth_date, class_level = excluded.class_level,
    referent_name = excluded.referent_name, referent_email = excluded.referent_email,
    origin_opinion = excluded.origin_opinion, origin_comment = excluded.origin_comment,
    active = true, revision = excluded.revision, updated_at = excluded.updated_at,
    withdrawn_at = NULL, withdrawal_reason = NULL, origin_mailbox = excluded.origin_mailbox
RETURNING ine, formation_code, registered_at;

-- name: share_origin_mailboxes!
-- R9: the mailbox a registration gives becomes the pupil's, on every candidacy, so that the next
-- registration of any formation reads it back (pupils given none are not in :ines).
UPDATE candidacies c SET origin_mailbox = given.origin_mailbox
FROM unnest(:ines::text[], :origin_mailboxes::text[]) AS given (ine, origin_mailbox)
WHERE c.campaign = :campaign AND c.ine = given.ine AND c.origin_mailbox IS DISTINCT FROM given.origin_mailbox;

-- name: withdraw!
UPDATE candidacies
SET active = false, withdrawn_at = :now, updated_at = :now, withdrawal_reason = :reason,
    revision = revision + 1
WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code;

-- name: active_in_domain$
SELECT count(*) FROM candidacies
WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code AND active;

-- name: interview_statuses
-- What enrollment knows of each interview asked (those it knows nothing of are not answered).
SELECT interview_id, status FROM interviews WHERE interview_id = ANY(:interview_ids::uuid[]);

-- name: save_interviews!
-- The statuses domain.interview_status decided, one row per interview (the handler never gives one twice); a
-- booking brings the start, a cancellation or a report does not.
INSERT INTO interviews (interview_id, campaign, ine, domain_code, starts_at, status)
SELECT i.interview_id, :campaign, i.ine, i.domain_code, i.starts_at, i.status
FROM unnest(:interview_ids::uuid[], :ines::text[], :domain_codes::text[], :starts_ats::timestamptz[],
            :statuses::text[]) AS i (interview_id, ine, domain_code, starts_at, status)
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
