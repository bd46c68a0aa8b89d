import { useState, type ReactNode } from 'react';
import type { OutputRecord } from '../../../../shared/model';
import { PROVIDER_NAMES } from '../../../../shared/providers';
import { duration, when } from '../../format';
import { transport } from '../../store';
import { ReviewBadge, ReviewButtons, type OnReview } from './review';

/**
 * Badges other features add to a tile (e.g. a QC result): each returns a node or null. A list, so a
 * feature registers its badge without editing the tile.
 */
export const TILE_BADGES: ((o: OutputRecord) => ReactNode)[] = [];

/** One video: its thumbnail at the video's own shape (a 9:16 take is a tall tile, not letterboxed). */
export function LibraryTile({ o, checked, canCheck, onCheck, onPlay, onReview }: { o: OutputRecord; checked: boolean; canCheck: boolean; onCheck: (on: boolean) => void; onPlay: () => void; onReview: OnReview }) {
  const [ratio, setRatio] = useState<number | null>(null);
  return (
    <article className={`lib-card${checked ? ' checked' : ''}`} aria-label={o.title} data-output={o.id}>
      <button className="lib-thumb" onClick={onPlay} aria-label={`Play ${o.title}, ${duration(o.durationSec)}`} style={ratio ? { aspectRatio: String(ratio) } : undefined} data-ratio={ratio ? ratio.toFixed(3) : undefined}>
        {o.thumbnail ? (
          <img
            src={transport.mediaUrl(o.thumbnail)}
            alt=""
            loading="lazy"
            onLoad={(e) => {
              const img = e.currentTarget;
              if (img.naturalWidth > 1 && img.naturalHeight > 1) setRatio(img.naturalWidth / img.naturalHeight);
            }}
          />
        ) : (
          <span className="no-thumb" aria-hidden>
            ▶
          </span>
        )}
        <span className="dur">{duration(o.durationSec)}</span>
      </button>
      <div className="lib-body">
        <div className="title" title={o.title}>
          {o.title}
        </div>
        <div className="muted tiny">
          {PROVIDER_NAMES[o.provider]} · {o.batchName} · {when(o.createdAt)}
        </div>
        <div className="row badges" style={{ gap: 6 }}>
          <ReviewBadge review={o.review} />
          {TILE_BADGES.map((b, i) => (
            <span key={i}>{b(o)}</span>
          ))}
          {o.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </div>
        <label className="check small">
          <input type="checkbox" checked={checked} disabled={!checked && !canCheck} onChange={(e) => onCheck(e.target.checked)} />
          Compare
        </label>
        <ReviewButtons o={o} onReview={onReview} small />
      </div>
    </article>
  );
}
