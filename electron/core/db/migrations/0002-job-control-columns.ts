import type { Migration } from './types';

/**
 * The engine's control state moves out of the timeline into columns. Release 1 re-read event codes to
 * decide (a `request_sent` mark since the job was last sent, how many `submit_retry` and
 * `reconcile_retry` events, whether the last word was `reconcile_unknown` or `reconcile_failed`);
 * from now on the timeline is the audit trail only and nothing reads it to decide. The columns are
 * filled from each job's timeline, so a queue stopped mid-work goes on exactly where it was.
 *
 * A Creatify preview waiting for approval was a `running` job with the provider status
 * `awaiting_approval`; it becomes the lifecycle's own `awaiting_approval` state (with a timeline entry
 * that says so).
 */
export const m0002JobControlColumns: Migration = {
  version: 2,
  name: 'job control columns',
  up: (db) => {
    db.exec(`
      -- When the create request of the current send left this machine (null: it has not, so sending
      -- again is safe; set: the provider may have it, so it is asked first).
      ALTER TABLE jobs ADD COLUMN request_sent_at INTEGER;
      -- Transient refusals of the create request (nothing was created), and failed checks of a lost answer.
      ALTER TABLE jobs ADD COLUMN submit_tries INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE jobs ADD COLUMN reconcile_tries INTEGER NOT NULL DEFAULT 0;
      -- Answers the provider lost (not Talkbatch's own restarts): proven-safe resends are limited by it.
      ALTER TABLE jobs ADD COLUMN lost_answers INTEGER NOT NULL DEFAULT 0;
      -- 'user': the engine has nothing more to do until the user decides (a lost answer it could not settle).
      ALTER TABLE jobs ADD COLUMN awaiting TEXT NOT NULL DEFAULT 'none' CHECK (awaiting IN ('none', 'user'));

      UPDATE jobs SET request_sent_at = (
        SELECT max(e.at) FROM job_events e
         WHERE e.job_id = jobs.id AND e.error_code = 'request_sent'
           AND e.id > coalesce((SELECT max(s.id) FROM job_events s WHERE s.job_id = jobs.id AND s.to_status = 'submitting'), 0)
      ) WHERE status = 'submitting';

      UPDATE jobs SET
        submit_tries = (SELECT count(*) FROM job_events e WHERE e.job_id = jobs.id AND e.error_code = 'submit_retry'),
        reconcile_tries = (SELECT count(*) FROM job_events e WHERE e.job_id = jobs.id AND e.error_code = 'reconcile_retry'),
        lost_answers = (SELECT count(*) FROM job_events e WHERE e.job_id = jobs.id AND e.to_status = 'submit_unknown' AND e.error_code IS NOT NULL);

      UPDATE jobs SET awaiting = 'user'
       WHERE status = 'submit_unknown' AND next_action_at IS NULL
         AND (SELECT e.error_code FROM job_events e WHERE e.job_id = jobs.id ORDER BY e.id DESC LIMIT 1) IN ('reconcile_unknown', 'reconcile_failed');

      INSERT INTO job_events (job_id, at, kind, from_status, to_status, message, provider_job_id)
        SELECT id, CAST(unixepoch('subsec') * 1000 AS INTEGER), 'transition', 'running', 'awaiting_approval',
               'The preview waits for your approval (recorded as its own status since this version).', provider_job_id
          FROM jobs WHERE status = 'running' AND provider_status = 'awaiting_approval';
      UPDATE jobs SET status = 'awaiting_approval', next_action_at = NULL
       WHERE status = 'running' AND provider_status = 'awaiting_approval';
    `);
  },
};
