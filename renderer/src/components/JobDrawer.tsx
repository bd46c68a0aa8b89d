import { useEffect, useRef, useState } from 'react';
import type { ChannelOutput, JobAction } from '../../../shared/contract';
import { STATUS_LABELS } from '../../../shared/lifecycle';
import { PROVIDER_NAMES } from '../../../shared/providers';
import { clock } from '../format';
import { explainCost } from '../../../shared/cost-view';
import { JobActions } from './JobActions';
import { useFocusTrap } from './use-focus-trap';
import { call, transport, useStore } from '../store';
import { copyNotice, copyText } from '../clipboard';

/** What a status means and what the creator can do, in plain words. */
const EXPLAIN: Partial<Record<string, string>> = {
  submit_unknown:
    'Talkbatch sent this job, but the answer got lost (the connection dropped or the app stopped). The provider may or may not have started it — and may charge for it. Talkbatch looked for it and could not prove either way. "Check again" asks the provider once more; "Send again" renders it anew and may be charged twice; "Mark failed" gives up.',
  stalled: 'The provider has reported no progress for a long time. It may still finish. Keep waiting, cancel it at the provider, or mark it failed.',
  paused: 'Paused by you. A job that was already rendering keeps rendering at the provider; Talkbatch just stopped checking on it.',
  awaiting_approval: 'The provider made a preview. Look at it below: the final video is rendered (and charged) only once you approve it.',
  draft: 'Held back: this batch renders its first rows as a test. Release it when you are happy with the test videos.',
};

export function JobDrawer({ id, onClose, onAct }: { id: string; onClose: () => void; onAct: (a: JobAction) => void }) {
  const version = useStore((s) => s.jobsVersion);
  const [data, setData] = useState<ChannelOutput<'jobs:get'> | null>(null);
  useEffect(() => {
    void call('jobs:get', { id }, { quiet: true }).then(setData);
  }, [id, version]);
  if (!data) return null;
  return <DrawerBody data={data} onClose={onClose} onAct={onAct} />;
}

function DrawerBody({ data, onClose, onAct }: { data: ChannelOutput<'jobs:get'>; onClose: () => void; onAct: (a: JobAction) => void }) {
  // Focus moves into the panel and back to the row that opened it; Escape closes it.
  const ref = useRef<HTMLElement>(null);
  useFocusTrap(ref, onClose);
  const { job: j, events, output } = data;

  const copy = async () => {
    const text = [
      `Talkbatch job ${j.id}`,
      `Title: ${j.input.title}`,
      `Provider: ${PROVIDER_NAMES[j.provider]} (job id ${j.providerJobId ?? 'none'})`,
      `Status: ${j.status}${j.providerStatus ? ` (provider: ${j.providerStatus})` : ''}`,
      j.error ? `Error: ${j.error.code}: ${j.error.message}` : '',
      '',
      ...events.map((e) => `${new Date(e.at).toISOString()}  ${e.toStatus ?? e.kind}  ${e.message}${e.requestId ? `  [request ${e.requestId}]` : ''}${e.errorCode ? `  [${e.errorCode}]` : ''}`),
    ]
      .filter((l) => l !== undefined)
      .join('\n');
    const notice = copyNotice(await copyText(text, navigator.clipboard), 'Timeline');
    useStore.getState().notify(notice.level, notice.message);
  };

  return (
    <aside ref={ref} className="drawer" role="dialog" aria-modal="false" aria-labelledby="drawer-title" tabIndex={-1}>
      <div className="row">
        <h2 id="drawer-title" style={{ margin: 0, flex: 1 }}>
          {j.input.title}
        </h2>
        <button className="icon-btn" aria-label="Close details" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="row">
        <span className={`pill ${j.status}`}>{STATUS_LABELS[j.status]}</span>
        <JobActions job={j} onAct={onAct} place="details" />
      </div>
      {EXPLAIN[j.status] && <div className="explain">{EXPLAIN[j.status]}</div>}
      {j.error && <div className="error-box">{j.error.message}</div>}
      {j.preview && (
        <div className="stack">
          <h3>Preview waiting for approval</h3>
          {j.preview.kind === 'video' ? (
            <video src={j.preview.url} controls />
          ) : (
            <iframe title="Preview" src={j.preview.url} sandbox="allow-scripts allow-same-origin" style={{ width: '100%', height: 300, border: '1px solid var(--border)', borderRadius: 8 }} />
          )}
        </div>
      )}
      {output && (
        <video controls src={transport.mediaUrl(output.file)} poster={output.thumbnail ? transport.mediaUrl(output.thumbnail) : undefined} style={{ width: '100%', borderRadius: 8, background: '#000' }} />
      )}
      <dl className="kv">
        <dt>Provider</dt>
        <dd>{PROVIDER_NAMES[j.provider]}</dd>
        <dt>Provider job id</dt>
        <dd className="mono">{j.providerJobId ?? '—'}</dd>
        <dt>Row</dt>
        <dd>{j.row}</dd>
        <dt>Attempt</dt>
        <dd>{j.attempt}</dd>
        <dt>Cost</dt>
        <dd data-testid="job-cost">
          <CostLines job={j} outputSec={output?.durationSec ?? null} />
        </dd>
        {output && (
          <>
            <dt>File</dt>
            <dd className="mono">{output.file}</dd>
          </>
        )}
        {j.input.script && (
          <>
            <dt>Script</dt>
            <dd>{j.input.script}</dd>
          </>
        )}
      </dl>
      <div className="row">
        <h3 style={{ flex: 1, margin: 0 }}>Timeline</h3>
        <button className="btn small" onClick={() => void copy()}>
          Copy for support
        </button>
      </div>
      <ol className="timeline" aria-label="Timeline">
        {events.map((e) => (
          <li key={e.id} className={`ev-${e.kind}`}>
            <div className="muted tiny">
              {clock(e.at)}
              {e.toStatus ? ` · ${STATUS_LABELS[e.toStatus]}` : ''}
              {e.requestId ? ` · request ${e.requestId}` : ''}
              {e.errorCode ? ` · ${e.errorCode}` : ''}
            </div>
            <div>{e.message}</div>
          </li>
        ))}
      </ol>
    </aside>
  );
}

/** Estimated and billed side by side, why they differ, and what to do when no price is known. */
function CostLines({ job, outputSec }: { job: ChannelOutput<'jobs:get'>['job']; outputSec: number | null }) {
  const c = explainCost(job, outputSec);
  return (
    <>
      {c.estimated && <div>Estimated {c.estimated}</div>}
      {c.billed && <div>Billed {c.billed}</div>}
      {!c.estimated && !c.billed && <div>{job.status === 'failed' || job.status === 'canceled' ? 'No charge recorded' : 'Price unknown'}</div>}
      {c.why && <div className="muted small">{c.why}</div>}
      {c.unknown && <div className="muted small">{c.unknown}</div>}
    </>
  );
}
