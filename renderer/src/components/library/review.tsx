import type { OutputRecord, Review } from '../../../../shared/model';

/** The three review decisions, in the words the library uses (stored as approved / rejected / redo). */
export const REVIEWS: readonly Readonly<{ value: Exclude<Review, null>; label: string; done: string; key: string; icon: string; cls: string }>[] = [
  { value: 'approved', label: 'Keep', done: 'Kept', key: 'Y', icon: '✓', cls: 'review-approved' },
  { value: 'rejected', label: 'Reject', done: 'Rejected', key: 'X', icon: '✕', cls: 'review-rejected' },
  { value: 'redo', label: 'Redo', done: 'Redo', key: 'R', icon: '↻', cls: 'review-redo' },
];

/** The review filter's options: a list, so more (e.g. a QC result) can be added beside them. */
export const REVIEW_FILTERS: readonly Readonly<{ value: string; label: string }>[] = [
  { value: '', label: 'Any review' },
  { value: 'unreviewed', label: 'Not reviewed' },
  { value: 'approved', label: 'Kept' },
  { value: 'rejected', label: 'Rejected' },
  { value: 'redo', label: 'To redo' },
];

export type OnReview = (o: OutputRecord, r: Review, tags?: readonly string[]) => Promise<void>;

/** Keep / Reject / Redo as toggle buttons: pressing the chosen one again clears it. */
export function ReviewButtons({ o, onReview, small, withKeys }: { o: OutputRecord; onReview: OnReview; small?: boolean; withKeys?: boolean }) {
  return (
    <span className="row review-buttons" role="group" aria-label={`Keep, reject or redo ${o.title}`} style={{ gap: 4 }}>
      {REVIEWS.map((r) => {
        const on = o.review === r.value;
        return (
          <button
            key={r.value}
            className={`btn${small ? ' small' : ''}${on ? ` on ${r.cls}` : ''}`}
            aria-pressed={on}
            {...(withKeys ? { 'aria-keyshortcuts': r.key, title: `${r.label} (${r.key})` } : {})}
            onClick={() => void onReview(o, on ? null : r.value)}
          >
            {r.icon} {r.label}
          </button>
        );
      })}
    </span>
  );
}

export function ReviewBadge({ review }: { review: Review }) {
  const r = REVIEWS.find((x) => x.value === review);
  return r ? (
    <span className={`${r.cls} small`}>
      {r.icon} {r.done}
    </span>
  ) : null;
}
