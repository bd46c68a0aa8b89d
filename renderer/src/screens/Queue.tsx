import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { JobAction } from '../../../shared/contract';
import { STATUS_LABELS, type JobStatus } from '../../../shared/lifecycle';
import type { JobRecord } from '../../../shared/model';
import { PROVIDER_NAMES } from '../../../shared/providers';
import { JobActions } from '../components/JobActions';
import { JobDrawer } from '../components/JobDrawer';
import { duration, money, moneyList } from '../format';
import { call, useStore } from '../store';

const FILTERS: readonly { id: string; label: string; statuses: readonly JobStatus[] | null }[] = [
  { id: 'all', label: 'All', statuses: null },
  { id: 'active', label: 'In progress', statuses: ['queued', 'submitting', 'running', 'downloading'] },
  { id: 'attention', label: 'Needs you', statuses: ['stalled', 'submit_unknown', 'awaiting_approval', 'paused', 'draft'] },
  { id: 'failed', label: 'Failed', statuses: ['failed', 'canceled'] },
  { id: 'done', label: 'Done', statuses: ['completed'] },
];

/** The live queue: a virtualized list that stays smooth with thousands of jobs. */
export function Queue() {
  const jobsMap = useStore((s) => s.jobs);
  const version = useStore((s) => s.jobsVersion);
  const batches = useStore((s) => s.batches);
  const selectedJob = useStore((s) => s.selectedJob);
  const jobsLoaded = useStore((s) => s.jobsLoaded);
  const ensureJobs = useStore((s) => s.ensureJobs);
  useEffect(() => ensureJobs(), [ensureJobs]);
  const selectJob = useStore((s) => s.selectJob);
  const [batchId, setBatchId] = useState<string | null>(null);
  const [filter, setFilter] = useState('all');
  const [checked, setChecked] = useState<Set<string>>(new Set());

  const jobs = useMemo(() => {
    const f = FILTERS.find((x) => x.id === filter)?.statuses;
    const order = new Map(batches.map((b, i) => [b.id, i]));
    return [...jobsMap.values()]
      .filter((j) => (!batchId || j.batchId === batchId) && (!f || f.includes(j.status)))
      .sort((a, b) => (order.get(a.batchId) ?? 0) - (order.get(b.batchId) ?? 0) || a.priority - b.priority || a.row - b.row);
  }, [jobsMap, version, batchId, filter, batches]);

  const parent = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({ count: jobs.length, getScrollElement: () => parent.current, estimateSize: () => 52, overscan: 12 });
  const act = async (ids: readonly string[], action: JobAction) => {
    if (!ids.length) return;
    const res = await call('jobs:action', { ids: [...ids], action });
    if (res?.skipped.length && res.changed === 0) useStore.getState().notify('warn', `Nothing changed: ${res.skipped[0]!.reason}`);
  };
  const selectedIds = [...checked].filter((id) => jobsMap.has(id));
  const drafts = jobs.filter((j) => j.status === 'draft').map((j) => j.id);

  return (
    <div>
      <div className="page-head">
        <h1>Queue</h1>
        <div className="tabs" role="tablist" aria-label="Filter jobs">
          {FILTERS.map((f) => (
            <button key={f.id} role="tab" aria-selected={filter === f.id} className={`tab${filter === f.id ? ' active' : ''}`} onClick={() => setFilter(f.id)}>
              {f.label}
            </button>
          ))}
        </div>
        <span className="spacer" />
        {drafts.length > 0 && (
          <button className="btn primary" onClick={() => void act(drafts, 'release')}>
            Render the {drafts.length} held video{drafts.length === 1 ? '' : 's'}
          </button>
        )}
        <div className="row" aria-label="Actions on checked jobs">
          <span className="muted small">{selectedIds.length ? `${selectedIds.length} checked` : ''}</span>
          <button className="btn small" disabled={!selectedIds.length} onClick={() => void act(selectedIds, 'retry')}>
            Retry
          </button>
          <button className="btn small" disabled={!selectedIds.length} onClick={() => void act(selectedIds, 'pause')}>
            Pause
          </button>
          <button className="btn small" disabled={!selectedIds.length} onClick={() => void act(selectedIds, 'resume')}>
            Resume
          </button>
          <button className="btn small" disabled={!selectedIds.length} onClick={() => void call('jobs:reorder', { ids: selectedIds, position: 'top' })}>
            Move to top
          </button>
          <button className="btn small danger" disabled={!selectedIds.length} onClick={() => void act(selectedIds, 'cancel')}>
            Cancel
          </button>
        </div>
      </div>
      {batches.length > 0 && (
        <div className="batch-strip" role="listbox" aria-label="Batches">
          <button className={`batch-chip${batchId === null ? ' selected' : ''}`} role="option" aria-selected={batchId === null} onClick={() => setBatchId(null)}>
            <div className="bname">All batches</div>
            <div className="muted small">{jobsMap.size} jobs</div>
          </button>
          {batches.map((b) => (
            <button key={b.id} className={`batch-chip${batchId === b.id ? ' selected' : ''}`} role="option" aria-selected={batchId === b.id} onClick={() => setBatchId(b.id)}>
              <div className="bname" title={b.name}>
                {b.name}
              </div>
              <div className="muted small">
                {b.completed}/{b.total} done{b.failed ? ` · ${b.failed} failed` : ''} · spent {moneyList(b.spent)}
                {b.budget ? ` of ${money(b.budget)} cap` : ''}
              </div>
              <div className="meter" aria-hidden>
                <div className="done" style={{ width: `${(b.completed / Math.max(1, b.total)) * 100}%` }} />
                <div className="fail" style={{ width: `${(b.failed / Math.max(1, b.total)) * 100}%` }} />
                <div className="run" style={{ width: `${(b.active / Math.max(1, b.total)) * 100}%` }} />
              </div>
            </button>
          ))}
        </div>
      )}
      {batchId && <BudgetEditor batchId={batchId} />}
      {jobs.length === 0 && !jobsLoaded ? (
        <div className="panel empty">Loading jobs…</div>
      ) : jobs.length === 0 ? (
        <div className="panel empty">
          <div className="big" aria-hidden>
            ☰
          </div>
          <div>No jobs here yet.</div>
          <div className="small">Create a video or import a batch, and it appears here while it renders.</div>
        </div>
      ) : (
        <div className="queue-list" ref={parent} role="grid" aria-rowcount={jobs.length} aria-label="Jobs">
          <div className="job-head" role="row">
            <span>
              <input
                type="checkbox"
                aria-label="Check all shown jobs"
                checked={selectedIds.length > 0 && selectedIds.length === jobs.length}
                onChange={(e) => setChecked(e.target.checked ? new Set(jobs.map((j) => j.id)) : new Set())}
              />
            </span>
            <span>Row</span>
            <span>Title</span>
            <span>Provider</span>
            <span>Status</span>
            <span>Time left</span>
            <span>Cost</span>
            <span>Actions</span>
          </div>
          <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
            {virt.getVirtualItems().map((v) => {
              const j = jobs[v.index]!;
              return (
                <div key={j.id} style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}>
                  <JobRow
                    job={j}
                    checked={checked.has(j.id)}
                    selected={selectedJob === j.id}
                    onCheck={(on) => setChecked((cur) => new Set(on ? [...cur, j.id] : [...cur].filter((x) => x !== j.id)))}
                    onOpen={() => selectJob(j.id)}
                    onAct={(a) => void act([j.id], a)}
                  />
                </div>
              );
            })}
          </div>
        </div>
      )}
      {selectedJob && <JobDrawer id={selectedJob} onClose={() => selectJob(null)} onAct={(a) => void act([selectedJob], a)} />}
    </div>
  );
}

/** The selected batch's spending cap: raise it (or remove it) to let held jobs go. */
function BudgetEditor({ batchId }: { batchId: string }) {
  const batch = useStore((s) => s.batches.find((b) => b.id === batchId));
  const [amount, setAmount] = useState('');
  if (!batch) return null;
  const unit = batch.budget?.unit ?? batch.estimate[0]?.unit ?? 'USD';
  return (
    <form
      className="row small"
      style={{ marginBottom: 10 }}
      onSubmit={(e) => {
        e.preventDefault();
        const n = Number(amount);
        void call('batches:set-budget', { batchId, budget: amount === '' ? null : { amount: n, unit } }).then(() => setAmount(''));
      }}
    >
      <span className="muted">
        Estimated {moneyList(batch.estimate)} · spent {moneyList(batch.spent)} · {batch.budget ? `cap ${money(batch.budget)}` : 'no spending cap'}
      </span>
      <label className="row" htmlFor="cap" style={{ gap: 6 }}>
        New cap ({unit})
        <input id="cap" type="number" min={0} step="any" style={{ width: 90 }} value={amount} onChange={(e) => setAmount(e.target.value)} placeholder="none" />
      </label>
      <button className="btn small" type="submit">
        {amount === '' ? 'Remove cap' : 'Set cap'}
      </button>
    </form>
  );
}

function JobRow({ job: j, checked, selected, onCheck, onOpen, onAct }: { job: JobRecord; checked: boolean; selected: boolean; onCheck: (on: boolean) => void; onOpen: () => void; onAct: (a: JobAction) => void }) {
  const label = STATUS_LABELS[j.status];
  return (
    <div
      className={`job-row${selected ? ' selected' : ''}`}
      role="row"
      tabIndex={0}
      aria-label={`${j.input.title}, ${PROVIDER_NAMES[j.provider]}, ${label}`}
      onClick={onOpen}
      onKeyDown={(e) => e.key === 'Enter' && onOpen()}
      data-status={j.status}
    >
      <span onClick={(e) => e.stopPropagation()}>
        <input type="checkbox" aria-label={`Check ${j.input.title}`} checked={checked} onChange={(e) => onCheck(e.target.checked)} />
      </span>
      <span className="muted">{j.row}</span>
      <span style={{ minWidth: 0 }}>
        <div className="title">{j.input.title}</div>
        <div className="sub">{j.error ? j.error.message : (j.input.script ?? j.input.prompt ?? '')}</div>
      </span>
      <span className="small">{PROVIDER_NAMES[j.provider]}</span>
      <span>
        <span className={`pill ${j.status}`}>{label}</span>
        {(j.status === 'running' || j.status === 'downloading') && (
          <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round((j.progress ?? 0) * 100)}>
            <div style={{ width: `${Math.round((j.progress ?? 0.03) * 100)}%` }} />
          </div>
        )}
      </span>
      <span className="small muted">{j.etaSec !== null && j.status === 'running' ? duration(j.etaSec) : '–'}</span>
      <span className="small">{j.costUsed ? money(j.costUsed) : j.costEstimate ? `~${money(j.costEstimate)}` : '–'}</span>
      <span className="row" onClick={(e) => e.stopPropagation()} style={{ gap: 4, flexWrap: 'nowrap' }}>
        <JobActions job={j} onAct={onAct} place="row" />
      </span>
    </div>
  );
}
