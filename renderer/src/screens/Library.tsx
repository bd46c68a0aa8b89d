import { useEffect, useMemo, useState } from 'react';
import type { ChannelInput, LibrarySort } from '../../../shared/contract';
import type { OutputRecord, Review } from '../../../shared/model';
import { PROVIDER_IDS, PROVIDER_NAMES, type ProviderId } from '../../../shared/providers';
import { CompareTakes } from '../components/library/CompareTakes';
import { LibraryTile } from '../components/library/LibraryTile';
import { Player } from '../components/library/Player';
import { REVIEW_FILTERS, ReviewBadge } from '../components/library/review';
import { bytes, duration, when } from '../format';
import { call, useStore } from '../store';

const SORTS: readonly Readonly<{ value: LibrarySort; label: string }>[] = [
  { value: 'date', label: 'Newest first' },
  { value: 'title', label: 'Title' },
  { value: 'batch', label: 'Batch' },
  { value: 'provider', label: 'Provider' },
  { value: 'review', label: 'Review (unreviewed first)' },
  { value: 'duration', label: 'Longest first' },
];
const MAX_COMPARE = 4;

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
  const [sort, setSort] = useState<LibrarySort>('date');
  const [view, setView] = useState<'grid' | 'list'>('grid');
  const [items, setItems] = useState<readonly OutputRecord[]>([]);
  const [total, setTotal] = useState(0);
  const [tags, setTags] = useState<readonly string[]>([]);
  const [playingId, setPlayingId] = useState<string | null>(null);
  const [compare, setCompare] = useState<string[]>([]);
  const [showCompare, setShowCompare] = useState(false);
  const PAGE = 120;
  const [limit, setLimit] = useState(PAGE);

  useEffect(() => {
    const q: ChannelInput<'library:list'> = {
      ...(text.trim() ? { text } : {}),
      ...(batchId ? { batchId } : {}),
      ...(provider ? { provider: provider as ProviderId } : {}),
      ...(review ? { review: review as 'approved' | 'rejected' | 'redo' | 'unreviewed' } : {}),
      ...(tag ? { tag } : {}),
      ...(since ? { from: Date.now() - Number(since) * 86_400_000 } : {}),
      sort,
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
  }, [text, batchId, provider, review, tag, since, sort, libraryVersion, limit]);

  const setReviewOf = async (o: OutputRecord, r: Review, newTags?: readonly string[]) => {
    const updated = await call('library:review', { id: o.id, review: r, ...(newTags ? { tags: [...newTags] } : {}) });
    if (updated) setItems((cur) => cur.map((x) => (x.id === o.id ? updated : x)));
  };
  const compared = useMemo(() => compare.map((id) => items.find((i) => i.id === id)).filter((x): x is OutputRecord => !!x), [compare, items]);
  // The player follows the video, not its place: a review can re-sort the list under it.
  const playingIndex = playingId ? items.findIndex((o) => o.id === playingId) : -1;
  const filtered = !!(text || batchId || provider || review || tag || since);

  return (
    <div>
      <div className="page-head">
        <h1>Library</h1>
        <span className="muted">
          {total} video{total === 1 ? '' : 's'}
        </span>
        <span className="spacer" />
        <span className="muted small">{compare.length ? `${compare.length} of ${MAX_COMPARE} checked to compare` : 'Check 2–4 takes to compare them'}</span>
        <button className="btn primary" disabled={compared.length < 2} onClick={() => setShowCompare(true)} aria-haspopup="dialog">
          Compare {compared.length >= 2 ? compared.length : ''} takes
        </button>
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
        <div className="tabs" role="group" aria-label="View">
          <button aria-pressed={view === 'grid'} className={`tab${view === 'grid' ? ' active' : ''}`} onClick={() => setView('grid')}>
            Grid
          </button>
          <button aria-pressed={view === 'list'} className={`tab${view === 'list' ? ' active' : ''}`} onClick={() => setView('list')}>
            List
          </button>
        </div>
      </div>
      <div className="filters" role="search">
        <input type="search" aria-label="Search titles and scripts" placeholder="Search titles and scripts…" value={text} onChange={(e) => setText(e.target.value)} style={{ minWidth: 220 }} />
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
          {REVIEW_FILTERS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
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
        <span className="row small" style={{ gap: 6 }}>
          <label htmlFor="lib-sort">Sort by</label>
          <select id="lib-sort" value={sort} onChange={(e) => setSort(e.target.value as LibrarySort)}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </span>
      </div>
      {items.length === 0 ? (
        <div className="panel empty">
          <div className="big" aria-hidden>
            ▶
          </div>
          <div>{total === 0 && !filtered ? 'Finished videos appear here, ready to watch offline.' : 'No video matches these filters.'}</div>
        </div>
      ) : view === 'grid' ? (
        <div className="lib-grid">
          {items.map((o) => (
            <LibraryTile
              key={o.id}
              o={o}
              checked={compare.includes(o.id)}
              canCheck={compare.length < MAX_COMPARE}
              onCheck={(on) => setCompare(on ? [...compare, o.id] : compare.filter((x) => x !== o.id))}
              onPlay={() => setPlayingId(o.id)}
              onReview={setReviewOf}
            />
          ))}
        </div>
      ) : (
        <div className="panel table-wrap" style={{ padding: 0 }}>
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
                    <button className="btn small" onClick={() => setPlayingId(o.id)} aria-label={`Play ${o.title}`}>
                      ▶
                    </button>{' '}
                    {o.title}
                  </td>
                  <td>{PROVIDER_NAMES[o.provider]}</td>
                  <td>{o.batchName}</td>
                  <td>{duration(o.durationSec)}</td>
                  <td>{bytes(o.size)}</td>
                  <td>{when(o.createdAt)}</td>
                  <td>{o.review ? <ReviewBadge review={o.review} /> : '—'}</td>
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
      {playingIndex >= 0 && (
        <Player
          items={items}
          index={playingIndex}
          onIndex={(i) => setPlayingId(items[i]?.id ?? null)}
          onClose={() => setPlayingId(null)}
          onReview={setReviewOf}
          onCompareRow={(o) => {
            // This take first, then the row's other takes (same title), up to four.
            const same = [o.id, ...items.filter((x) => x.title === o.title && x.id !== o.id).map((x) => x.id)].slice(0, MAX_COMPARE);
            setPlayingId(null);
            setCompare(same);
            setShowCompare(true);
          }}
        />
      )}
      {showCompare && compared.length >= 2 && <CompareTakes items={compared} onClose={() => setShowCompare(false)} onReview={setReviewOf} />}
    </div>
  );
}
