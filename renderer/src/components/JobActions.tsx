import type { JobAction } from '../../../shared/contract';
import { availableActions, type ActionJob } from '../../../shared/actions';

/**
 * A job's choices as buttons, from the one actions table (shared/actions.ts). A row shows the quick
 * choices; the job's details add the weighty ones (send again, mark failed), next to their explanation.
 */
export function JobActions({ job, onAct, place }: { job: ActionJob; onAct: (a: JobAction) => void; place: 'row' | 'details' }) {
  return (
    <>
      {availableActions(job)
        .filter((a) => place === 'details' || !a.weighty)
        .map((a) => (
          <button key={a.action} className={`btn small${a.weighty ? ' danger' : ''}`} onClick={() => onAct(a.action)}>
            {a.label}
          </button>
        ))}
    </>
  );
}
