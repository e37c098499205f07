-- name: save_pupil!
-- A registration that gives no origin mailbox keeps the one given before (the last one given wins).
INSERT INTO pupils (campaign, ine, first_name, last_name, origin_uai, referent_email, revision, origin_mailbox)
VALUES (:campaign, :ine, :first_name, :last_name, :origin_uai, :referent_email, :revision, :origin_mailbox)
ON CONFLICT (campaign, ine) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
    origin_uai = excluded.origin_uai, referent_email = excluded.referent_email, revision = excluded.revision,
    origin_mailbox = coalesce(excluded.origin_mailbox, pupils.origin_mailbox);

-- name: save_candidacy!
INSERT INTO candidacies (campaign, ine, formation_code, domain_code, origin_opinion)
VALUES (:campaign, :ine, :formation_code, :domain_code, :origin_opinion)
ON CONFLICT (campaign, ine, formation_code) DO UPDATE SET origin_opinion = excluded.origin_opinion;

-- name: save_interview!
INSERT INTO interviews (interview_id, campaign, ine, domain_code, reception_uai, place, starts_at, ends_at,
                        formation_codes)
VALUES (:interview_id, :campaign, :ine, :domain_code, :reception_uai, :place, :starts_at, :ends_at, :formation_codes)
ON CONFLICT (interview_id) DO NOTHING;

-- name: cancel_interview!
UPDATE interviews SET cancelled = true, reminder_due = false WHERE interview_id = :interview_id;

-- name: drop_pending_convocation$
-- A convocation not yet sent for a cancelled interview is not sent; true when one was dropped.
WITH dropped AS (
    UPDATE mails SET state = 'dropped' WHERE key = :key AND state = 'pending' RETURNING 1
)
SELECT count(*) > 0 FROM dropped;

-- name: save_report!
INSERT INTO reports (campaign, ine, domain_code, interview_id, attended, report)
VALUES (:campaign, :ine, :domain_code, :interview_id, :attended, :report)
ON CONFLICT (campaign, ine, domain_code) DO UPDATE SET interview_id = excluded.interview_id,
    attended = excluded.attended, report = excluded.report;

-- name: save_final!
INSERT INTO finals (campaign, ine, formation_code, reception_opinion, final_opinion)
VALUES (:campaign, :ine, :formation_code, :reception_opinion, :final_opinion)
ON CONFLICT DO NOTHING;

-- name: request_mail!
-- Asks for a mail once; asking again for the same key changes nothing.
INSERT INTO mails (key, campaign, kind, ine, interview_id, domain_code, reception_uai, state, next_attempt_at)
VALUES (:key, :campaign, :kind, :ine, :interview_id, :domain_code, :reception_uai, 'pending',
        clock_timestamp() + make_interval(secs => :settle_seconds))
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
UPDATE mails SET state = 'sending', lease_until = clock_timestamp() + make_interval(secs => :lease_seconds)
WHERE key IN (
    SELECT key FROM mails
    WHERE (state = 'pending' AND next_attempt_at <= clock_timestamp())
       OR (state = 'sending' AND lease_until < clock_timestamp())
    ORDER BY next_attempt_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
RETURNING key, campaign, kind, ine, interview_id, domain_code, reception_uai, attempts;

-- name: mark_sent$
UPDATE mails SET state = 'sent', sent_at = clock_timestamp(), attempts = attempts + 1, recipients = :recipients,
                 lease_until = NULL
WHERE key = :key AND state = 'sending'
RETURNING true;

-- name: schedule_retry!
-- :counted is 0 while the mail only waits for its data (not a failed attempt), 1 after a failed send.
UPDATE mails SET state = 'pending', attempts = attempts + :counted, last_error = :error, lease_until = NULL,
                 next_attempt_at = clock_timestamp() + make_interval(secs => :delay_seconds)
WHERE key = :key AND state = 'sending';

-- name: get_pupil^
SELECT first_name, last_name, origin_uai, referent_email, origin_mailbox FROM pupils
WHERE campaign = :campaign AND ine = :ine;

-- name: get_interview^
SELECT interview_id, ine, domain_code, reception_uai, place, starts_at, ends_at, formation_codes, cancelled
FROM interviews WHERE interview_id = :interview_id;

-- name: interview_sequence$
-- The calendar sequence of a pupil's interview: how many were booked before it in that domain.
SELECT count(*) FROM interviews
WHERE campaign = :campaign AND ine = :ine AND domain_code = :domain_code AND interview_id <> :interview_id;

-- name: recap_lines
SELECT c.domain_code, c.formation_code, c.origin_opinion, f.reception_opinion, f.final_opinion,
       r.attended, r.report
FROM candidacies c
LEFT JOIN finals f USING (campaign, ine, formation_code)
LEFT JOIN reports r ON r.campaign = c.campaign AND r.ine = c.ine AND r.domain_code = c.domain_code
WHERE c.campaign = :campaign AND c.ine = :ine
ORDER BY c.domain_code, c.formation_code;

-- name: overdue_for_mail
SELECT o.interview_id, o.due_on, i.ine, i.domain_code, i.starts_at
FROM overdue_items o JOIN interviews i USING (interview_id)
WHERE o.mail_key = :key
ORDER BY i.starts_at;

-- name: remove_candidacy!
DELETE FROM candidacies WHERE campaign = :campaign AND ine = :ine AND formation_code = :formation_code;

-- name: figures_mails
-- Operators' funnel: mails by kind and delivery state.
SELECT kind, state, count(*) AS n FROM mails WHERE campaign = :campaign GROUP BY kind, state ORDER BY kind, state;

-- name: purge_campaign$
-- A finished campaign's pupils, reports and mail records (with their recipients) deleted.
WITH items_gone AS (DELETE FROM overdue_items WHERE interview_id IN
                        (SELECT interview_id FROM interviews WHERE campaign = :campaign) RETURNING 1),
     mails_gone AS (DELETE FROM mails WHERE campaign = :campaign RETURNING 1),
     finals_gone AS (DELETE FROM finals WHERE campaign = :campaign RETURNING 1),
     reports_gone AS (DELETE FROM reports WHERE campaign = :campaign RETURNING 1),
     interviews_gone AS (DELETE FROM interviews WHERE campaign = :campaign RETURNING 1),
     candidacies_gone AS (DELETE FROM candidacies WHERE campaign = :campaign RETURNING 1),
     pupils_gone AS (DELETE FROM pupils WHERE campaign = :campaign RETURNING 1)
SELECT (SELECT count(*) FROM items_gone) + (SELECT count(*) FROM mails_gone) + (SELECT count(*) FROM finals_gone)
     + (SELECT count(*) FROM reports_gone) + (SELECT count(*) FROM interviews_gone)
     + (SELECT count(*) FROM candidacies_gone) + (SELECT count(*) FROM pupils_gone);
