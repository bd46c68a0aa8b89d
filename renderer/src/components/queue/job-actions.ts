import { availableActions, type OfferedAction } from '../../../../shared/actions';
import type { JobRecord } from '../../../../shared/model';

/** A row's quick choices, from the one actions table (shared/actions.ts); the weighty ones are in the job's details. */
export function rowActions(j: JobRecord): readonly OfferedAction[] {
  return availableActions(j).filter((a) => !a.weighty);
}

/** Jobs that can still be moved in the line: not yet sent. */
export function isMovable(j: JobRecord): boolean {
  return j.status === 'queued' || j.status === 'paused' || j.status === 'draft';
}

/** Waiting on the user: the "Needs you" filter. */
export function needsYou(j: JobRecord): boolean {
  return j.status === 'stalled' || j.status === 'submit_unknown' || j.status === 'draft' || j.status === 'awaiting_approval';
}
