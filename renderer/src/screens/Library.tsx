import { useEffect, useMemo, useState } from 'react';
import type { ChannelInput } from '../../../shared/contract';
import type { OutputRecord, Review } from '../../../shared/model';
import { PROVIDER_IDS, PROVIDER_NAMES, type ProviderId } from '../../../shared/providers';
import { bytes, duration, when } from '../format';
import { call, transport, useStore } from '../store';

/** The offline library: everything here is served from the library folder on this computer. */
export function Library() {
  const libraryVersion = useStore((s) => s.libraryVersion);
  const batches = useStore((s) => s.batches);
  const notify = useStore((s) => s.notify);
  const [text, setText] = useState('');
  const [batchId, setBatchId] = useState('');
  const [provider, setProvider] = useState('');
  const [review, setReview] = useState('');
  const [tag, setTag] = useState('');
  const [since, setSince] = useState('');
  const [view, setView] = useState<'grid' | 'list'>('grid');
  const [items, setItems] = useState<readonly OutputRecord[]>([]);
  const [total, setTotal] = useState(0);
  const [tags, setTags] = useState<readonly string[]>([]);
  const [playing, setPlaying] = useState<OutputRecord | null>(null);
  const [compare, setCompare] = useState<string[]>([]);
  const [showCompare, setShowCompare] = useState(false);
  const PAGE = 120;
  const [limit, setLimit] = useState(PAGE);

  useEffect(() => {
    const q: ChannelInput<'library:list'> = {
      ...(text.trim() ? { text } : {}),
      ...(batchId ? { batchId } : {}),
      ...(provider ? { provider: provider as ProviderId } : {}),
      ...(review ? { review: review as 'approved' | 'rejected' | 'unreviewed' } : {}),
      ...(tag ? { tag } : {}),
      ...(since ? { from: Date.now() - Number(since) * 86_400_000 } : {}),
      limit,
    };
    let alive = true;
    const load = () =>
      void call('library:list', q).then((r) => {
        if (!r || !alive) return;
        setItems(r.items);
        setTotal(r.total);
        setTags(r.tags);
      });
    // Typing in the search box waits for a pause; everything else (and the first load) asks at once.
    const t = text ? setTimeout(load, 150) : (load(), undefined);
    return () => {
      alive = false;
      if (t) clearTimeout(t);
    };
  }, [text, batchId, provider, review, tag, since, libraryVersion, limit]);

  const setReviewOf = async (o: OutputRecord, r: Review, newTags?: readonly string[]) => {
    const updated = await call('library:review', { id: o.id, review: r, ...(newTags ? { tags: [...newTags] } : {}) });
    if (updated) {
      setItems((cur) => cur.map((x) => (x.id === o.id ? updated : x)));
      if (playing?.id === o.id) setPlaying(updated);
    }
  };
  const compared = useMemo(() => compare.map((id) => items.find((i) => i.id === id)).filter((x): x is OutputRecord => !!x), [compare, items]);

  return (
    <div>
      <div className="page-head">
        <h1>Library</h1>
        <span className="muted">{total} video{total === 1 ? '' : 's'}</span>
        <span className="spacer" />
        {compare.length === 2 && (
          <button className="btn primary" onClick={() => setShowCompare(true)} aria-haspopup="dialog">
            Compare the 2 checked
          </button>
        )}
        {batchId && (
          <button
            className="btn"
            onClick={() =>
              void call('batches:manifest', { batchId }).then((m) => {
                if (!m) return;
                const a = document.createElement('a');
                a.href = URL.createObjectURL(new Blob([m.csv], { type: 'text/csv' }));
                a.download = 'manifest.csv';
                a.click();
                notify('info', `Manifest saved beside the videos: ${m.path}`);
              })
            }
          >
            Export manifest
          </button>
        )}
        <div className="tabs" role="tablist" aria-label="View">
          <button role="tab" aria-selected={view === 'grid'} className={`tab${view === 'grid' ? ' active' : ''}`} onClick={() => setView('grid')}>
            Grid
          </button>
          <button role="tab" aria-selected={view === 'list'} className={`tab${view === 'list' ? ' active' : ''}`} onClick={() => setView('list')}>
            List
          </button>
        </div>
      </div>
      <div className="filters" role="search">
        <input type="search" aria-label="Search titles and scripts" placeholder="Search titles and scripts…" value={text} onChange={(e) => setText(e.target.value)} style={{ minWidth: 240 }} />
        <select aria-label="Batch" value={batchId} onChange={(e) => setBatchId(e.target.value)}>
          <option value="">All batches</option>
          {batches.map((b) => (
            <option key={b.id} value={b.id}>
              {b.name}
            </option>
          ))}
        </select>
        <select aria-label="Provider" value={provider} onChange={(e) => setProvider(e.target.value)}>
          <option value="">All providers</option>
          {PROVIDER_IDS.map((p) => (
            <option key={p} value={p}>
              {PROVIDER_NAMES[p]}
            </option>
          ))}
        </select>
        <select aria-label="Review" value={review} onChange={(e) => setReview(e.target.value)}>
          <option value="">Any review</option>
          <option value="unreviewed">Not reviewed</option>
          <option value="approved">Approved</option>
          <option value="rejected">Rejected</option>
        </select>
        <select aria-label="Tag" value={tag} onChange={(e) => setTag(e.target.value)}>
          <option value="">Any tag</option>
          {tags.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <select aria-label="Date" value={since} onChange={(e) => setSince(e.target.value)}>
          <option value="">Any date</option>
          <option value="1">Last 24 hours</option>
          <option value="7">Last 7 days</option>
          <option value="30">Last 30 days</option>
        </select>
      </div>
      {items.length === 0 ? (
        <div className="panel empty">
          <div className="big" aria-hidden>
            ▶
          </div>
          <div>{total === 0 && !text && !batchId && !provider && !review && !tag ? 'Finished videos appear here, ready to watch offline.' : 'No video matches these filters.'}</div>
        </div>
      ) : view === 'grid' ? (
        <div className="lib-grid">
          {items.map((o) => (
            <article key={o.id} className={`lib-card${compare.includes(o.id) ? ' checked' : ''}`} aria-label={o.title}>
              <button className="lib-thumb" onClick={() => setPlaying(o)} aria-label={`Play ${o.title}`}>
                {o.thumbnail ? <img src={transport.mediaUrl(o.thumbnail)} alt="" loading="lazy" /> : null}
                <span className="dur">{duration(o.durationSec)}</span>
              </button>
              <div className="lib-body">
                <div className="title" title={o.title}>
                  {o.title}
                </div>
                <div className="muted tiny">
                  {PROVIDER_NAMES[o.provider]} · {o.batchName} · {when(o.createdAt)}
                </div>
                <div className="row" style={{ gap: 6 }}>
                  {o.review && <span className={`review-${o.review} small`}>{o.review === 'approved' ? '✓ Approved' : '✕ Rejected'}</span>}
                  {o.tags.map((t) => (
                    <span key={t} className="tag">
                      {t}
                    </span>
                  ))}
                </div>
                <div className="row" style={{ justifyContent: 'space-between' }}>
                  <label className="check small">
                    <input type="checkbox" checked={compare.includes(o.id)} onChange={(e) => setCompare(e.target.checked ? [...compare.slice(-1), o.id] : compare.filter((x) => x !== o.id))} />
                    Compare
                  </label>
                  <span className="row" style={{ gap: 2 }}>
                    <button className={`icon-btn${o.review === 'approved' ? ' review-approved' : ''}`} aria-label={`Approve ${o.title}`} aria-pressed={o.review === 'approved'} onClick={() => void setReviewOf(o, o.review === 'approved' ? null : 'approved')}>
                      ✓
                    </button>
                    <button className={`icon-btn${o.review === 'rejected' ? ' review-rejected' : ''}`} aria-label={`Reject ${o.title}`} aria-pressed={o.review === 'rejected'} onClick={() => void setReviewOf(o, o.review === 'rejected' ? null : 'rejected')}>
                      ✕
                    </button>
                  </span>
                </div>
              </div>
            </article>
          ))}
        </div>
      ) : (
        <div className="panel" style={{ padding: 0 }}>
          <table className="data">
            <thead>
              <tr>
                <th>Title</th>
                <th>Provider</th>
                <th>Batch</th>
                <th>Length</th>
                <th>Size</th>
                <th>Date</th>
                <th>Review</th>
              </tr>
            </thead>
            <tbody>
              {items.map((o) => (
                <tr key={o.id}>
                  <td>
                    <button className="btn small" onClick={() => setPlaying(o)}>
                      ▶
                    </button>{' '}
                    {o.title}
                  </td>
                  <td>{PROVIDER_NAMES[o.provider]}</td>
                  <td>{o.batchName}</td>
                  <td>{duration(o.durationSec)}</td>
                  <td>{bytes(o.size)}</td>
                  <td>{when(o.createdAt)}</td>
                  <td>{o.review ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {items.length < total && (
        <div className="row" style={{ justifyContent: 'center', marginTop: 16 }}>
          <button className="btn" onClick={() => setLimit(limit + PAGE)}>
            Show more ({total - items.length} more)
          </button>
        </div>
      )}
      {playing && <Player o={playing} onClose={() => setPlaying(null)} onReview={setReviewOf} />}
      {showCompare && compared.length === 2 && <CompareModal items={compared} onClose={() => setShowCompare(false)} />}
    </div>
  );
}

function Player({ o, onClose, onReview }: { o: OutputRecord; onClose: () => void; onReview: (o: OutputRecord, r: Review, tags?: readonly string[]) => Promise<void> }) {
  const providers = useStore((s) => s.providers);
  const [newTag, setNewTag] = useState('');
  const [target, setTarget] = useState<ProviderId>(o.provider === 'local' ? 'sync' : 'local');
  useModalKeys(onClose);
  return (
    <div className="modal-back" onClick={onClose}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="player-title" onClick={(e) => e.stopPropagation()}>
        <div className="row">
          <h2 id="player-title" style={{ margin: 0, flex: 1 }}>
            {o.title}
          </h2>
          <button className="icon-btn" aria-label="Close player" onClick={onClose}>
            ×
          </button>
        </div>
        <video controls autoPlay src={transport.mediaUrl(o.file)} poster={o.thumbnail ? transport.mediaUrl(o.thumbnail) : undefined} data-testid="player" />
        <div className="muted small">
          {PROVIDER_NAMES[o.provider]} · {o.batchName} · {duration(o.durationSec)} · {bytes(o.size)} · <span className="mono">{o.file}</span>
        </div>
        {o.script && <div className="small">{o.script}</div>}
        <div className="row">
          <button className={`btn${o.review === 'approved' ? ' primary' : ''}`} aria-pressed={o.review === 'approved'} onClick={() => void onReview(o, o.review === 'approved' ? null : 'approved')}>
            ✓ Approve
          </button>
          <button className={`btn${o.review === 'rejected' ? ' danger' : ''}`} aria-pressed={o.review === 'rejected'} onClick={() => void onReview(o, o.review === 'rejected' ? null : 'rejected')}>
            ✕ Reject
          </button>
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
          <button className="btn" onClick={() => void call('library:reveal', { id: o.id }).then((r) => r && !r.opened && useStore.getState().notify('info', `File: ${r.path}`))}>
            Show in folder
          </button>
        </div>
        <div className="row">
          <span className="small">Render this row again with</span>
          <select aria-label="Provider for the new render" value={target} onChange={(e) => setTarget(e.target.value as ProviderId)}>
            {providers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
                {p.configured ? '' : ' (needs a key)'}
              </option>
            ))}
          </select>
          <button
            className="btn"
            onClick={() =>
              void call('library:rerender', { id: o.id, provider: target }).then((r) => r && useStore.getState().notify('info', `Queued again with ${PROVIDER_NAMES[target]}.`))
            }
          >
            Render again
          </button>
        </div>
      </div>
    </div>
  );
}

function CompareModal({ items, onClose }: { items: readonly OutputRecord[]; onClose: () => void }) {
  useModalKeys(onClose);
  return (
    <div className="modal-back" onClick={onClose}>
      <div className="modal" role="dialog" aria-modal="true" aria-label="Compare two takes" onClick={(e) => e.stopPropagation()} style={{ width: '96vw' }}>
        <div className="row">
          <h2 style={{ margin: 0, flex: 1 }}>Compare takes</h2>
          <button className="icon-btn" aria-label="Close comparison" onClick={onClose}>
            ×
          </button>
        </div>
        <div className="compare">
          {items.map((o) => (
            <div key={o.id} className="stack">
              <video controls src={transport.mediaUrl(o.file)} poster={o.thumbnail ? transport.mediaUrl(o.thumbnail) : undefined} />
              <div className="small">
                <strong>{o.title}</strong> — {PROVIDER_NAMES[o.provider]} · {duration(o.durationSec)}
              </div>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

function useModalKeys(onClose: () => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
}
