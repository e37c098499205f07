-- name: save_pupils!
-- Each pupil a set of registrations names (once each). A registration that gives no origin mailbox keeps the one
-- given before (the last one given wins).
INSERT INTO pupils (campaign, ine, first_name, last_name, origin_uai, referent_email, referent_name, revision,
                    origin_mailbox)
SELECT :campaign, p.*
FROM unnest(:ines::text[], :first_names::text[], :last_names::text[], :origin_uais::text[],
            :referent_emails::text[], :referent_names::text[], :revisions::int[], :origin_mailboxes::text[]) AS p
ON CONFLICT (campaign, ine) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
    origin_uai = excluded.origin_uai, referent_email = excluded.referent_email,
    referent_name = excluded.referent_name, revision = excluded.revision,
    origin_mailbox = coalesce(excluded.origin_mailbox, pupils.origin_mailbox);

-- name: save_candidacies!
-- R9: a registration again updates the origin school's opinion and comment (each candidacy once in a set).
INSERT INTO candidacies (campaign, ine, formation_code, domain_code, origin_opinion, origin_comment)
SELECT :campaign, c.*
FROM unnest(:ines::text[], :formation_codes::text[], :domain_codes::text[], :origin_opinions::text[],
            :origin_comments::text[]) AS c
-- A candidacy registered again after its withdrawal is active again (enrollment reactivates it).
ON CONFLICT (campaign, ine, formation_code) DO UPDATE SET origin_opinion = excluded.origin_opinion,
    origin_comment = excluded.origin_comment, withdrawn = false;

-- name: lock_interviews!
-- Its booking and its cancellation handled at the same time (two batches) each see the other's rows only once
-- committed: without this, the cancellation found no interview and the booking no early cancellation. The locks
-- of a set are taken in the order of their keys, so that two sets never wait for each other in a circle.
SELECT pg_advisory_xact_lock(k)
FROM (SELECT DISTINCT hashtext('notifications/interview/' || CAST(id AS text)) AS k
      FROM unnest(:interview_ids::uuid[]) AS id ORDER BY k) AS keys;

-- name: save_interviews
-- R10, R19, R20b: an interview whose cancellation arrived first is saved cancelled, one whose report arrived first
-- (held already) is saved with no reminder due; says which for each, also when a booking is delivered again. Each
-- interview once in a set; its formations come as a JSON array (an array of arrays cannot be unnested by row).
WITH asked AS (
    SELECT a.*, e.cancel_reason, EXISTS (SELECT 1 FROM reports r WHERE r.interview_id = a.interview_id) AS held
    FROM unnest(:interview_ids::uuid[], :ines::text[], :domain_codes::text[], :reception_uais::text[],
                :places::text[], :starts_ats::timestamptz[], :ends_ats::timestamptz[], :formation_codes::jsonb[])
         AS a (interview_id, ine, domain_code, reception_uai, place, starts_at, ends_at, formations)
    LEFT JOIN early_cancellations e ON e.interview_id = a.interview_id
),
saved AS (
    INSERT INTO interviews (interview_id, campaign, ine, domain_code, reception_uai, place, starts_at, ends_at,
                            formation_codes, cancelled, reminder_due, cancel_reason)
    SELECT interview_id, :campaign, ine, domain_code, reception_uai, place, starts_at, ends_at,
           ARRAY(SELECT jsonb_array_elements_text(formations)), cancel_reason IS NOT NULL,
           cancel_reason IS NULL AND NOT held, cancel_reason
    FROM asked
    ON CONFLICT (interview_id) DO NOTHING
    RETURNING interview_id, cancelled
)
SELECT a.interview_id, coalesce(s.cancelled, i.cancelled) AS cancelled, a.held AS reported
FROM asked a
LEFT JOIN saved s ON s.interview_id = a.interview_id
LEFT JOIN interviews i ON i.interview_id = a.interview_id;

-- name: cancel_interview$
-- True when the interview is known; false: its booking has not arrived yet (record_early_cancellation).
WITH cancelled AS (
    UPDATE interviews SET cancelled = true, reminder_due = false, cancel_reason = :reason
    WHERE interview_id = :interview_id
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM cancelled);

-- name: record_early_cancellation!
INSERT INTO early_cancellations (interview_id, campaign, cancel_reason)
VALUES (:interview_id, :campaign, :reason)
ON CONFLICT (interview_id) DO NOTHING;

-- name: drop_pending_convocations$
-- Convocations (first or corrected) not yet sent for a cancelled interview are not sent; the revisions dropped
-- tell whether the first one was among them (domain.cancellation_mailed decides what that means).
WITH dropped AS (
    UPDATE mails SET state = 'dropped', last_error = 'interview_cancelled'
    WHERE interview_id = :interview_id AND kind = 'convocation' AND state = 'pending'
    RETURNING revision
)
SELECT coalesce(array_agg(revision), ARRAY[]::integer[]) FROM dropped;

-- name: drop_pending_mail$
-- R19 for reception schools: a planning sheet asked for but not yet leased is replaced by a newer version of
-- the day, never sent; false when a sender has just leased it (then it goes, and the newer one follows it).
UPDATE mails SET state = 'dropped' WHERE key = :key AND state = 'pending'
RETURNING true;

-- name: drop_leased$
-- A leased mail that must not go after all (domain.dropped_at_send, domain.same_as_last): recorded as dropped,
-- with why, never sent; only under the sender's own lease (a lease taken over is the new holder's to record).
UPDATE mails SET state = 'dropped', lease_until = NULL, last_error = :reason
WHERE key = :key AND state = 'sending' AND lease_token = :lease_token
RETURNING true;

-- name: mail_went_out$
-- Whether a mail was sent, is being sent (a lease another sender holds may end in a send), or may have been: a
-- lease of it ran out while it was being sent, whatever became of it afterwards (dropped at its next lease).
SELECT EXISTS (SELECT 1 FROM mails WHERE key = :key AND (state IN ('sending', 'sent') OR lease_ran_out));

-- name: withdraw_candidacy$
-- R26: kept, marked withdrawn; true only the first time, so a withdrawal delivered again changes nothing more.
UPDATE candidacies SET withdrawn = true
WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code AND NOT withdrawn
RETURNING true;

-- name: domain_interviews
-- R19, R20: the pupil's interviews of the domain, each with the state of its first convocation mail (keyed as
-- domain.convocation_key keys it); domain.interview_to_correct picks the one a withdrawal corrects.
SELECT i.interview_id, i.starts_at, i.cancelled, i.formation_codes, m.state AS convocation_state
FROM interviews i
LEFT JOIN mails m ON m.key = 'convocation:' || i.interview_id::text
WHERE i.campaign = :campaign AND i.ine = :ine AND i.domain_code = :domain_code;

-- name: next_revision$
-- Row-locked increment: two withdrawals handled at once by two replicas get two revisions, hence two mails.
UPDATE interviews SET revision = revision + 1 WHERE interview_id = :interview_id RETURNING revision;

-- name: save_report!
INSERT INTO reports (campaign, ine, domain_code, interview_id, attended, report)
VALUES (:campaign, :ine, :domain_code, :interview_id, :attended, :report)
ON CONFLICT (campaign, ine, domain_code) DO UPDATE SET interview_id = excluded.interview_id,
    attended = excluded.attended, report = excluded.report;

-- name: save_final!
INSERT INTO finals (campaign, ine, formation_code, reception_opinion, final_opinion)
VALUES (:campaign, :ine, :formation_code, :reception_opinion, :final_opinion)
ON CONFLICT DO NOTHING;

-- name: request_mails!
-- Asks for each mail once; asking again for the same key changes nothing (each key once in a set).
INSERT INTO mails (key, campaign, kind, ine, interview_id, domain_code, reception_uai, state, next_attempt_at,
                   stamped_at, revision, facts)
SELECT m.key, :campaign, m.kind, m.ine, m.interview_id, m.domain_code, m.reception_uai, 'pending',
       clock_timestamp() + make_interval(secs => m.settle_seconds), m.stamped_at, m.revision, m.facts
FROM unnest(:keys::text[], :kinds::text[], :ines::text[], :interview_ids::uuid[], :domain_codes::text[],
            :reception_uais::text[], :settle_seconds::float8[], :stamped_ats::timestamptz[], :revisions::int[],
            :facts::jsonb[])
     AS m (key, kind, ine, interview_id, domain_code, reception_uai, settle_seconds, stamped_at, revision, facts)
ON CONFLICT (key) DO NOTHING;

-- name: pending_overdue_mail$
SELECT key FROM mails WHERE kind = 'overdue_reminder' AND reception_uai = :reception_uai AND state = 'pending'
LIMIT 1;

-- name: add_overdue_item!
INSERT INTO overdue_items (interview_id, reception_uai, due_on, mail_key)
VALUES (:interview_id, :reception_uai, :due_on, :mail_key)
ON CONFLICT (interview_id) DO NOTHING;

-- name: reminders_due
-- R20b: booked interviews starting within the reminder period, not yet reminded.
UPDATE interviews SET reminder_due = false
WHERE campaign = :campaign AND reminder_due AND NOT cancelled AND starts_at > :now AND starts_at <= :until
RETURNING interview_id, ine, domain_code;

-- name: claim_due_mails
-- Each lease gets a new token: the fence every recording of the result checks (a slow sender whose lease ran out
-- and was taken over by another records nothing).
-- A row still 'sending' is taken over from a sender whose lease ran out: it may have sent the mail (lease_ran_out).
UPDATE mails SET state = 'sending', lease_until = clock_timestamp() + make_interval(secs => :lease_seconds),
                 lease_token = gen_random_uuid(), lease_ran_out = lease_ran_out OR state = 'sending'
WHERE key IN (
    SELECT key FROM mails
    WHERE (state = 'pending' AND next_attempt_at <= clock_timestamp())
       OR (state = 'sending' AND lease_until < clock_timestamp())
    ORDER BY next_attempt_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
RETURNING key, campaign, kind, ine, interview_id, domain_code, reception_uai, attempts, stamped_at, revision,
          facts, lease_token;

-- name: mark_sent
-- R19, R26: a batch's accepted mails in one statement, each under the lease it was sent with; the keys returned
-- are those recorded (a key missing: its lease was taken over, the new holder records it). A mail some of whose
-- recipients the server refused keeps who (by role) and why: it went, but not to everyone.
UPDATE mails m SET state = 'sent', sent_at = clock_timestamp(), attempts = m.attempts + 1, lease_until = NULL,
                   recipients = ARRAY(SELECT jsonb_array_elements_text(s.recipients)),
                   refused_roles = CASE WHEN jsonb_array_length(s.refused_roles) > 0
                                        THEN ARRAY(SELECT jsonb_array_elements_text(s.refused_roles)) END,
                   refusal = s.refusal
FROM unnest(:keys::text[], :tokens::uuid[], :recipients::jsonb[], :refused_roles::jsonb[], :refusals::text[])
     AS s(key, token, recipients, refused_roles, refusal)
WHERE m.key = s.key AND m.state = 'sending' AND m.lease_token = s.token
RETURNING m.key;

-- name: schedule_retry$
-- :counted is 0 while the mail only waits for its data (not a failed attempt), 1 after a failed send (SMTP down,
-- a 4xx answer: transient); only under the sender's own lease.
UPDATE mails SET state = 'pending', attempts = attempts + :counted, last_error = :error, lease_until = NULL,
                 next_attempt_at = clock_timestamp() + make_interval(secs => :delay_seconds)
WHERE key = :key AND state = 'sending' AND lease_token = :lease_token
RETURNING true;

-- name: refuse$
-- R19: the mail server refused the whole mail for good (5xx): no more attempts until an operator, having fixed
-- the address, replays it. The reason carries the SMTP code and a short text, never an address.
UPDATE mails SET state = 'refused', attempts = attempts + 1, refusal = :refusal, last_error = :refusal,
                 lease_until = NULL
WHERE key = :key AND state = 'sending' AND lease_token = :lease_token
RETURNING true;

-- name: replay_refused$
-- An operator fixed the address (a directory mailbox, a referent given again): the refused mail (one, or all of
-- the campaign) goes again as soon as the sender looks, its address read afresh then. The refusal stays in
-- last_error for the record.
WITH replayed AS (
    UPDATE mails SET state = 'pending', next_attempt_at = clock_timestamp(), refusal = NULL
    WHERE campaign = :campaign AND state = 'refused' AND (CAST(:key AS text) IS NULL OR key = :key)
    RETURNING 1
)
SELECT count(*) FROM replayed;

-- name: refusals
-- Operators' view: mails refused for good, and mails sent without some of their recipients (who, by role).
SELECT key, kind, state, interview_id, domain_code, reception_uai, attempts, refusal, refused_roles, sent_at
FROM mails
WHERE campaign = :campaign AND (state = 'refused' OR refused_roles IS NOT NULL)
ORDER BY state, key
LIMIT :limit;

-- name: get_pupil^
SELECT first_name, last_name, origin_uai, referent_email, referent_name, origin_mailbox FROM pupils
WHERE campaign = :campaign AND ine = :ine;

-- name: get_interview^
SELECT interview_id, ine, domain_code, reception_uai, place, starts_at, ends_at, formation_codes, cancelled,
       cancel_reason, revision
FROM interviews WHERE interview_id = :interview_id;

-- name: domain_candidacies
-- R20: a convocation lists the formations still applied for in the domain (one motivation letter each), also
-- those registered after the booking, which the booking did not name.
SELECT formation_code, withdrawn FROM candidacies
WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code
ORDER BY formation_code;

-- name: interview_sequence$
-- The calendar sequence of a pupil's interview: how many were booked before it in that domain.
SELECT count(*) FROM interviews
WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code AND interview_id <> :interview_id;

-- name: pupils_of
-- A round of mails reads its pupils at once (one statement for the round, not one per mail).
SELECT ine, first_name, last_name, origin_uai, referent_email, referent_name, origin_mailbox FROM pupils
WHERE campaign = :campaign AND ine = ANY(:ines);

-- name: interviews_of
-- Every interview of a round's pupils (index interviews_by_pupil_domain): each mail's own, and the others that
-- count in its calendar sequence.
SELECT interview_id, ine, domain_code, reception_uai, place, starts_at, ends_at, formation_codes, cancelled,
       cancel_reason, revision
FROM interviews WHERE campaign = :campaign AND ine = ANY(:ines);

-- name: candidacies_of
-- Every candidacy of a round's pupils, in the order domain_candidacies gives them.
SELECT ine, domain_code, formation_code, withdrawn FROM candidacies
WHERE campaign = :campaign AND ine = ANY(:ines)
ORDER BY formation_code;

-- name: recap_lines
-- R26: every candidacy, withdrawn ones included; per domain the interview reported on, or else the one booked
-- (latest first), for its reception school and date.
SELECT c.domain_code, c.formation_code, c.origin_opinion, c.withdrawn, f.reception_opinion, f.final_opinion,
       r.attended, r.report, i.reception_uai, i.starts_at
FROM candidacies c
LEFT JOIN finals f USING (campaign, ine, formation_code)
LEFT JOIN reports r ON r.campaign = c.campaign AND r.ine = c.ine AND r.domain_code = c.domain_code
LEFT JOIN LATERAL (
    SELECT reception_uai, starts_at FROM interviews
    WHERE interview_id = r.interview_id
       OR (r.interview_id IS NULL AND campaign = c.campaign AND ine = c.ine AND domain_code = c.domain_code
           AND NOT cancelled)
    ORDER BY starts_at DESC
    LIMIT 1
) i ON true
WHERE c.campaign = :campaign AND c.ine = :ine
ORDER BY c.domain_code, c.formation_code;

-- name: overdue_for_mail
SELECT o.interview_id, o.due_on, i.ine, i.domain_code, i.starts_at
FROM overdue_items o JOIN interviews i USING (interview_id)
WHERE o.mail_key = :key
ORDER BY i.starts_at;

-- name: figures_mails
-- Operators' funnel: mails by kind and delivery state.
SELECT kind, state, count(*) AS n FROM mails WHERE campaign = :campaign GROUP BY kind, state ORDER BY kind, state;

-- name: purge_campaign$
-- A finished campaign's pupils, reports and mail records (with their recipients) deleted.
WITH early_gone AS (DELETE FROM early_cancellations WHERE campaign = :campaign RETURNING 1),
     contents_gone AS (DELETE FROM sent_contents WHERE campaign = :campaign RETURNING 1),
     sheets_gone AS (DELETE FROM planning_sheets WHERE campaign = :campaign RETURNING 1),
     marks_gone AS (DELETE FROM planning_marks WHERE campaign = :campaign RETURNING 1),
     notices_gone AS (DELETE FROM shortfall_notices WHERE campaign = :campaign RETURNING 1),
     items_gone AS (DELETE FROM overdue_items WHERE interview_id IN
                        (SELECT interview_id FROM interviews WHERE campaign = :campaign) RETURNING 1),
     mails_gone AS (DELETE FROM mails WHERE campaign = :campaign RETURNING 1),
     finals_gone AS (DELETE FROM finals WHERE campaign = :campaign RETURNING 1),
     reports_gone AS (DELETE FROM reports WHERE campaign = :campaign RETURNING 1),
     interviews_gone AS (DELETE FROM interviews WHERE campaign = :campaign RETURNING 1),
     candidacies_gone AS (DELETE FROM candidacies WHERE campaign = :campaign RETURNING 1),
     pupils_gone AS (DELETE FROM pupils WHERE campaign = :campaign RETURNING 1)
SELECT (SELECT count(*) FROM early_gone) + (SELECT count(*) FROM contents_gone)
     + (SELECT count(*) FROM sheets_gone) + (SELECT count(*) FROM marks_gone) + (SELECT count(*) FROM notices_gone)
     + (SELECT count(*) FROM items_gone) + (SELECT count(*) FROM mails_gone) + (SELECT count(*) FROM finals_gone)
     + (SELECT count(*) FROM reports_gone) + (SELECT count(*) FROM interviews_gone)
     + (SELECT count(*) FROM candidacies_gone) + (SELECT count(*) FROM pupils_gone);

-- name: mark_planning_days!
-- R19 for reception schools: these schools' lists for these days changed; the planning sweep looks at them again.
-- A row of its own per mark, no unique key: nothing to wait for, whoever else marks the same day meanwhile.
INSERT INTO planning_marks (campaign, reception_uai, day)
SELECT :campaign, m.* FROM unnest(:reception_uais::text[], :days::date[]) AS m;

-- name: interview_times
-- The pupils' interviews, cancelled ones included: a change to a pupil's dossier changes those days' sheets.
SELECT reception_uai, starts_at FROM interviews WHERE campaign = :campaign AND ine = ANY(:ines::text[]);

-- name: changed_planning_days
-- The due days whose list changed since it was last looked at, with the marks that say so (index
-- planning_marks_by_day). The sweep reads the day's interviews after this, so every change these marks stand
-- for is in what it reads; it deletes exactly these marks, never one that arrived meanwhile.
SELECT reception_uai, day, array_agg(id) AS marks FROM planning_marks
WHERE campaign = :campaign AND day = ANY(:days)
GROUP BY reception_uai, day
ORDER BY day, reception_uai;

-- name: planning_day_seen!
DELETE FROM planning_marks WHERE id = ANY(:marks);

-- name: planning_entries
-- One row per formation of each interview of a school's day, with the pupil and the origin school's opinion
-- and comment: the dossier the seed says reception schools consult before the interview. The formations are
-- those still applied for in the domain, as on the convocation (R20), including any registered after booking.
SELECT i.interview_id, i.starts_at, i.ends_at, i.domain_code, i.place, p.first_name, p.last_name, p.origin_uai,
       c.formation_code, c.origin_opinion, c.origin_comment
FROM interviews i
JOIN pupils p ON p.campaign = i.campaign AND p.ine = i.ine
JOIN candidacies c ON c.campaign = i.campaign AND c.ine = i.ine AND c.domain_code = i.domain_code AND NOT c.withdrawn
WHERE i.campaign = :campaign AND i.reception_uai = :reception_uai AND NOT i.cancelled
  AND i.starts_at >= :day_starts AND i.starts_at < :day_ends
ORDER BY i.starts_at, i.interview_id, c.formation_code;

-- name: latest_planning_sheet^
-- The last sheet asked for a school's day, whether it still waits to go, and whether any sheet of the day went.
SELECT s.version, s.fingerprint, s.mail_key, m.state = 'pending' AS pending,
       EXISTS (SELECT 1 FROM planning_sheets o JOIN mails om ON om.key = o.mail_key
               WHERE o.campaign = s.campaign AND o.reception_uai = s.reception_uai AND o.day = s.day
                 AND om.state IN ('sending', 'sent')) AS any_sent
FROM planning_sheets s JOIN mails m ON m.key = s.mail_key
WHERE s.campaign = :campaign AND s.reception_uai = :reception_uai AND s.day = :day
ORDER BY s.version DESC
LIMIT 1;

-- name: record_planning_sheet!
INSERT INTO planning_sheets (mail_key, campaign, reception_uai, day, version, fingerprint)
VALUES (:mail_key, :campaign, :reception_uai, :day, :version, :fingerprint)
ON CONFLICT DO NOTHING;

-- name: shortfall_notice^
SELECT episode, told_waiting, counted_at FROM shortfall_notices
WHERE campaign = :campaign AND domain_code = :domain_code
FOR UPDATE;

-- name: shortfall_counted!
-- R15: the publication time of the count applied last; an older count delivered later is ignored.
INSERT INTO shortfall_notices (campaign, domain_code, counted_at)
VALUES (:campaign, :domain_code, :counted_at)
ON CONFLICT (campaign, domain_code) DO UPDATE SET counted_at = excluded.counted_at;

-- name: tell_shortfall!
-- R15: the count told in this episode; the next mail is due when the count grows by half.
INSERT INTO shortfall_notices (campaign, domain_code, episode, told_waiting)
VALUES (:campaign, :domain_code, :episode, :waiting)
ON CONFLICT (campaign, domain_code) DO UPDATE SET told_waiting = excluded.told_waiting;

-- name: end_shortfall_episode!
-- R15: nobody waits any more; a later shortfall is a new episode, told again.
UPDATE shortfall_notices SET episode = episode + 1, told_waiting = NULL
WHERE campaign = :campaign AND domain_code = :domain_code AND told_waiting IS NOT NULL;

-- name: lock_sent_content!
-- Two senders comparing mails about the same pupil or domain take turns, even before its first row exists.
SELECT pg_advisory_xact_lock(hashtext('notifications/contents/' || :campaign || '/' || :subject));

-- name: last_sent_content^
-- R15, R26: the last mail let go about this pupil or domain.
SELECT digest, mail_key FROM sent_contents WHERE campaign = :campaign AND subject = :subject;

-- name: record_sent_content!
INSERT INTO sent_contents (campaign, subject, digest, mail_key)
VALUES (:campaign, :subject, :digest, :mail_key)
ON CONFLICT (campaign, subject) DO UPDATE SET digest = excluded.digest, mail_key = excluded.mail_key;
