import { useEffect, useRef, useState } from 'react';
import type { OutputRecord } from '../../../../shared/model';
import { PROVIDER_NAMES } from '../../../../shared/providers';
import { clockOf } from '../../format';
import { transport } from '../../store';
import { Dialog } from '../Dialog';
import { ReviewButtons, type OnReview } from './review';

/** Drift, in seconds, past which a follower is pulled back to the lead take. */
const DRIFT = 0.15;

/**
 * 2–4 takes side by side under one transport: one play/pause and one scrub bar drive every video (the
 * first take leads; the others are pulled back whenever they drift), the sound comes from the take you
 * choose, the script sits beside them, and each take has keep / reject / redo.
 */
export function CompareTakes({ items, onClose, onReview }: { items: readonly OutputRecord[]; onClose: () => void; onReview: OnReview }) {
  const refs = useRef<(HTMLVideoElement | null)[]>([]);
  const [playing, setPlaying] = useState(false);
  const [t, setT] = useState(0);
  const [len, setLen] = useState(0);
  const [sound, setSound] = useState(0);
  const videos = () => refs.current.filter((v): v is HTMLVideoElement => !!v);

  useEffect(() => {
    let raf = 0;
    const tick = () => {
      const [lead, ...rest] = videos();
      if (lead) {
        // Only a visible change re-renders (the scrub bar moves in 0.05 s steps).
        const now = Math.round(lead.currentTime * 20) / 20;
        setT((cur) => (cur === now ? cur : now));
        if (!lead.paused) for (const v of rest) if (Math.abs(v.currentTime - lead.currentTime) > DRIFT && lead.currentTime < (v.duration || 0)) v.currentTime = lead.currentTime;
        if (lead.ended && playing) setPlaying(false);
      }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }, [playing]);

  const playPause = () => {
    const vs = videos();
    if (playing) {
      for (const v of vs) v.pause();
      setPlaying(false);
    } else {
      const at = vs[0]?.ended ? 0 : (vs[0]?.currentTime ?? 0);
      for (const v of vs) {
        v.currentTime = Math.min(at, v.duration || at);
        void v.play().catch(() => undefined);
      }
      setPlaying(true);
    }
  };
  const scrub = (to: number) => {
    for (const v of videos()) v.currentTime = Math.min(to, v.duration || to);
    setT(to);
  };
  const script = items.find((o) => o.script)?.script ?? null;

  return (
    <Dialog label={`Compare ${items.length} takes`} onClose={onClose} wide className="compare-dialog">
      <div className="row">
        <h2 style={{ margin: 0, flex: 1 }}>Compare {items.length} takes</h2>
        <button className="icon-btn" aria-label="Close comparison" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="compare-body">
        <div className={`compare n${items.length}`}>
          {items.map((o, i) => (
            <figure key={o.id} className="take" data-testid="take">
              <video
                ref={(el) => {
                  refs.current[i] = el;
                }}
                src={transport.mediaUrl(o.file)}
                poster={o.thumbnail ? transport.mediaUrl(o.thumbnail) : undefined}
                muted={i !== sound}
                playsInline
                preload="auto"
                onLoadedMetadata={(e) => {
                  // Read now: React clears the event's currentTarget before a state updater runs.
                  const d = e.currentTarget.duration || 0;
                  setLen((cur) => Math.max(cur, d));
                }}
              />
              <figcaption className="small">
                <strong>{o.title}</strong> — {PROVIDER_NAMES[o.provider]} · {o.batchName}
              </figcaption>
              <div className="row" style={{ gap: 6 }}>
                <ReviewButtons o={o} onReview={onReview} small />
                <label className="check small">
                  <input type="radio" name="compare-sound" checked={sound === i} onChange={() => setSound(i)} />
                  Sound
                </label>
              </div>
            </figure>
          ))}
        </div>
        <aside className="compare-script" aria-label="Script">
          <h3>Script</h3>
          <p className="small">{script ?? 'These takes have no script (audio or prompt only).'}</p>
        </aside>
      </div>
      <div className="row transport">
        <button className="btn primary" onClick={playPause} data-autofocus>
          {playing ? '❚❚ Pause all' : '▶ Play all'}
        </button>
        <input
          type="range"
          className="scrub"
          aria-label="Position of all takes"
          min={0}
          max={len || 1}
          step={0.05}
          value={Math.min(t, len || 1)}
          onChange={(e) => scrub(Number(e.target.value))}
        />
        <span className="mono small">
          {clockOf(t)} / {clockOf(len)}
        </span>
      </div>
    </Dialog>
  );
}
