import { useEffect, useRef, useState } from 'react';
import type { OutputRecord } from '../../../../shared/model';
import { PROVIDER_NAMES, type ProviderId } from '../../../../shared/providers';
import { bytes, duration } from '../../format';
import { call, transport, useStore } from '../../store';
import { Dialog } from '../Dialog';
import { REVIEWS, ReviewButtons, type OnReview } from './review';

/** Keys that belong to the control that has focus (typing a tag, a select, the video's own controls). */
function ownsKeys(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.tagName === 'VIDEO' || el.isContentEditable);
}

/**
 * The player: one take at a time with previous / next through the library's current list, and the
 * reviewing keys — Space or K play/pause, J / L back / forward 10 s, ← / → 5 s, ↑ / ↓ previous / next,
 * Y keep, X reject, R redo.
 */
export function Player({
  items,
  index,
  onIndex,
  onClose,
  onReview,
  onCompareRow,
}: {
  items: readonly OutputRecord[];
  index: number;
  onIndex: (i: number) => void;
  onClose: () => void;
  onReview: OnReview;
  /** Opens the comparison of this take with the other takes of its row (same title) in the list. */
  onCompareRow: (o: OutputRecord) => void;
}) {
  const o = items[index]!;
  const providers = useStore((s) => s.providers);
  const [newTag, setNewTag] = useState('');
  const [target, setTarget] = useState<ProviderId>(o.provider === 'local' ? 'sync' : 'local');
  const video = useRef<HTMLVideoElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const hasPrev = index > 0;
  const hasNext = index < items.length - 1;
  useEffect(() => stage.current?.focus(), []);
  const takes = items.filter((x) => x.title === o.title).length;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || ownsKeys(e.target)) return;
      const v = video.current;
      const seek = (d: number) => v && (v.currentTime = Math.max(0, Math.min(v.duration || 0, v.currentTime + d)));
      const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      const isButton = (e.target as HTMLElement | null)?.tagName === 'BUTTON';
      let handled = true;
      if ((k === ' ' && !isButton) || k === 'k') {
        if (v) void (v.paused ? v.play().catch(() => undefined) : v.pause());
      } else if (k === 'j') seek(-10);
      else if (k === 'l') seek(10);
      else if (k === 'ArrowLeft') seek(-5);
      else if (k === 'ArrowRight') seek(5);
      else if (k === 'ArrowUp' && hasPrev) onIndex(index - 1);
      else if (k === 'ArrowDown' && hasNext) onIndex(index + 1);
      else {
        const r = REVIEWS.find((x) => x.key.toLowerCase() === k);
        if (r) void onReview(o, o.review === r.value ? null : r.value);
        else handled = false;
      }
      if (handled) e.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [o, index, hasPrev, hasNext, onIndex, onReview]);

  return (
    <Dialog labelledBy="player-title" onClose={onClose} className="player">
      <div className="row">
        <h2 id="player-title" style={{ margin: 0, flex: 1, minWidth: 0 }}>
          {o.title}
        </h2>
        <span className="muted small" aria-live="polite">
          {index + 1} of {items.length}
        </span>
        <button className="btn small" disabled={!hasPrev} onClick={() => onIndex(index - 1)} aria-keyshortcuts="ArrowUp" title="Previous (↑)">
          ‹ Previous
        </button>
        <button className="btn small" disabled={!hasNext} onClick={() => onIndex(index + 1)} aria-keyshortcuts="ArrowDown" title="Next (↓)">
          Next ›
        </button>
        <button className="icon-btn" aria-label="Close player" onClick={onClose}>
          ×
        </button>
      </div>
      <div ref={stage} className="player-stage" tabIndex={-1} role="group" aria-label="Video. Space plays and pauses, J and L skip 10 seconds, arrows skip 5 seconds or change video.">
        <video key={o.id} ref={video} controls autoPlay src={transport.mediaUrl(o.file)} poster={o.thumbnail ? transport.mediaUrl(o.thumbnail) : undefined} data-testid="player" />
      </div>
      <div className="muted small">
        {PROVIDER_NAMES[o.provider]} · {o.batchName} · {duration(o.durationSec)} · {bytes(o.size)} · <span className="mono">{o.file}</span>
      </div>
      {o.script && <div className="small">{o.script}</div>}
      <div className="row">
        <ReviewButtons o={o} onReview={onReview} withKeys />
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (newTag.trim()) void onReview(o, o.review, [...o.tags, newTag.trim()]).then(() => setNewTag(''));
          }}
        >
          <input type="text" aria-label="Add a tag" placeholder="Add a tag" value={newTag} onChange={(e) => setNewTag(e.target.value)} style={{ width: 130 }} />
        </form>
        {o.tags.map((t) => (
          <button key={t} className="tag" aria-label={`Remove tag ${t}`} onClick={() => void onReview(o, o.review, o.tags.filter((x) => x !== t))}>
            {t} ×
          </button>
        ))}
        <span className="spacer" style={{ flex: 1 }} />
        {takes >= 2 && (
          <button className="btn" onClick={() => onCompareRow(o)} aria-haspopup="dialog">
            Compare {Math.min(takes, 4)} takes of this row
          </button>
        )}
        <button className="btn" onClick={() => void call('library:reveal', { id: o.id }).then((r) => r && !r.opened && useStore.getState().notify('info', `File: ${r.path}`))}>
          Show in folder
        </button>
      </div>
      <div className="row">
        <span className="row small" style={{ gap: 6 }}>
          <label htmlFor="rerender-provider">Render this row again with</label>
          <select id="rerender-provider" value={target} onChange={(e) => setTarget(e.target.value as ProviderId)}>
            {providers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
                {p.configured ? '' : ' (needs a key)'}
              </option>
            ))}
          </select>
        </span>
        <button className="btn" onClick={() => void call('library:rerender', { id: o.id, provider: target }).then((r) => r && useStore.getState().notify('info', `Queued again with ${PROVIDER_NAMES[target]}.`))}>
          Render again
        </button>
        <span className="muted tiny shortcuts" aria-hidden>
          Space play · J/L ±10 s · ←/→ ±5 s · ↑/↓ previous/next · Y keep · X reject · R redo
        </span>
      </div>
    </Dialog>
  );
}
