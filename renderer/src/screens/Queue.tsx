import { useEffect, useMemo, useState } from 'react';
import type { JobAction } from '../../../shared/contract';
import { costSummary, totalsLabel } from '../../../shared/cost-view';
import { batchProgress } from '../../../shared/eta';
import type { JobRecord } from '../../../shared/model';
import { JobDrawer } from '../components/JobDrawer';
import { Menu, type MenuItem } from '../components/Menu';
import { isMovable, needsYou } from '../components/queue/job-actions';
import { QueueGrid, type BatchGroup, type MovePosition } from '../components/queue/QueueGrid';
import { useEstimates } from '../components/queue/use-estimates';
import { money, moneyList } from '../format';
import { call, useStore } from '../store';

/** The queue's filters. A list so more can be added (each is a test on a job). */
export const QUEUE_FILTERS: readonly Readonly<{ id: string; label: string; test: ((j: JobRecord) => boolean) | null }>[] = [
  { id: 'all', label: 'All', test: null },
  { id: 'active', label: 'In progress', test: (j) => ['queued', 'submitting', 'running', 'downloading'].includes(j.status) && !needsYou(j) },
  { id: 'attention', label: 'Needs you', test: needsYou },
  { id: 'paused', label: 'Paused', test: (j) => j.status === 'paused' },
  { id: 'failed', label: 'Failed', test: (j) => j.status === 'failed' || j.status === 'canceled' },
  { id: 'done', label: 'Done', test: (j) => j.status === 'completed' },
];

const FAILED_FIRST: Readonly<Record<string, number>> = { failed: 0, canceled: 1 };

/** The live queue, grouped under batch headers like HandBrake's: progress, time left and cost per batch. */
export function Queue() {
  const jobsMap = useStore((s) => s.jobs);
  const version = useStore((s) => s.jobsVersion);
  const batches = useStore((s) => s.batches);
  const selectedJob = useStore((s) => s.selectedJob);
  const jobsLoaded = useStore((s) => s.jobsLoaded);
  const ensureJobs = useStore((s) => s.ensureJobs);
  useEffect(() => ensureJobs(), [ensureJobs]);
  const selectJob = useStore((s) => s.selectJob);
  const [batchId, setBatchId] = useState<string>('');
  const [filter, setFilter] = useState('all');
  const [checked, setChecked] = useState<Set<string>>(new Set());
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const estimates = useEstimates();

  const byBatch = useMemo(() => {
    const m = new Map<string, JobRecord[]>();
    for (const j of jobsMap.values()) {
      const list = m.get(j.batchId) ?? [];
      list.push(j);
      m.set(j.batchId, list);
    }
    return m;
    // jobsVersion: the map is replaced on change, but the version is the documented signal.
  }, [jobsMap, version]);

  const groups = useMemo(() => {
    const test = QUEUE_FILTERS.find((x) => x.id === filter)?.test ?? null;
    const out: BatchGroup[] = [];
    for (const b of batches) {
      if (batchId && b.id !== batchId) continue;
      const all = byBatch.get(b.id) ?? [];
      const progress = batchProgress(all, estimates);
      // A finished batch lists what went wrong first; a running one keeps its line order.
      const jobs = all
        .filter((j) => !test || test(j))
        .sort((x, y) => (progress.finished ? (FAILED_FIRST[x.status] ?? 2) - (FAILED_FIRST[y.status] ?? 2) : 0) || x.priority - y.priority || x.row - y.row);
      if (test && !jobs.length) continue;
      if (!all.length && jobsLoaded === false) continue;
      out.push({ batch: b, jobs, progress, cost: costSummary(all) });
    }
    return out;
  }, [batches, byBatch, batchId, filter, estimates, jobsLoaded]);

  const act = async (ids: readonly string[], action: JobAction) => {
    if (!ids.length) return;
    const res = await call('jobs:action', { ids: [...ids], action });
    if (res?.skipped.length && res.changed === 0) useStore.getState().notify('warn', `Nothing changed: ${res.skipped[0]!.reason}`);
  };
  const move = (ids: readonly string[], position: MovePosition, before?: string) => {
    const movable = ids.filter((id) => {
      const j = jobsMap.get(id);
      return j && isMovable(j);
    });
    if (!movable.length) {
      useStore.getState().notify('info', 'Only jobs that have not been sent yet can be moved.');
      return;
    }
    void call('jobs:reorder', { ids: movable, position, ...(before ? { before } : {}) });
  };
  const selectedIds = [...checked].filter((id) => jobsMap.has(id));
  const drafts = [...jobsMap.values()].filter((j) => j.status === 'draft' && (!batchId || j.batchId === batchId)).map((j) => j.id);
  const total = useMemo(() => costSummary([...jobsMap.values()]), [jobsMap, version]);
  const none = !selectedIds.length;
  const bulk: readonly (MenuItem & { key: string })[] = [
    { key: 'retry', label: 'Retry', onSelect: () => void act(selectedIds, 'retry'), disabled: none },
    { key: 'pause', label: 'Pause', onSelect: () => void act(selectedIds, 'pause'), disabled: none },
    { key: 'resume', label: 'Resume', onSelect: () => void act(selectedIds, 'resume'), disabled: none },
    { key: 'top', label: 'Move to top', onSelect: () => move(selectedIds, 'top'), disabled: none },
    { key: 'up', label: 'Move up', onSelect: () => move(selectedIds, 'up'), disabled: none },
    { key: 'down', label: 'Move down', onSelect: () => move(selectedIds, 'down'), disabled: none },
    { key: 'bottom', label: 'Move to bottom', onSelect: () => move(selectedIds, 'bottom'), disabled: none },
    { key: 'cancel', label: 'Cancel', onSelect: () => void act(selectedIds, 'cancel'), disabled: none, danger: true },
  ];

  return (
    <div className="queue-screen">
      <div className="page-head">
        <h1>Queue</h1>
        <div className="tabs" role="tablist" aria-label="Filter jobs">
          {QUEUE_FILTERS.map((f) => (
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
      </div>
      <div className="queue-bar">
        <span className="row small" style={{ gap: 6 }}>
          <label htmlFor="queue-batch">Batch</label>
          <select id="queue-batch" value={batchId} onChange={(e) => setBatchId(e.target.value)}>
            <option value="">All batches ({jobsMap.size} jobs)</option>
            {batches.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name}
              </option>
            ))}
          </select>
        </span>
        <span className="muted small queue-total" data-testid="queue-cost">
          Spent {totalsLabel(total.billed, 'nothing yet')}
          {total.estimated.length > 0 && ` · estimated ~${totalsLabel(total.estimated)}`}
          {total.unknown.length > 0 && ` · ${total.unknown.reduce((n, u) => n + u.count, 0)} without a price`}
        </span>
        <span className="spacer" />
        <div className="row bulk" role="toolbar" aria-label="Selected jobs">
          <span className="muted small" aria-live="polite">
            {selectedIds.length ? `${selectedIds.length} selected` : 'Select jobs to act on them'}
          </span>
          <span className="wide-only row" style={{ gap: 6 }}>
            {bulk.map((b) => (
              <button key={b.key} className={`btn small${b.danger ? ' danger' : ''}`} disabled={b.disabled} onClick={b.onSelect}>
                {b.label}
              </button>
            ))}
          </span>
          <Menu className="narrow-only" label="Actions on selected jobs" buttonLabel="Actions ▾" items={bulk} />
        </div>
      </div>
      {total.unknown.length > 0 && filter === 'all' && (
        <div className="muted small unknown-prices">
          {total.unknown.map((u) => (
            <div key={u.provider}>
              {u.count} job{u.count === 1 ? '' : 's'} without a price: {u.hint}
            </div>
          ))}
        </div>
      )}
      {batchId && <BudgetEditor batchId={batchId} />}
      {!groups.length && !jobsLoaded ? (
        <div className="panel empty">Loading jobs…</div>
      ) : !groups.some((g) => g.jobs.length) ? (
        <div className="panel empty">
          <div className="big" aria-hidden>
            ☰
          </div>
          <div>{jobsMap.size ? 'No job matches this filter.' : 'No jobs here yet.'}</div>
          <div className="small">Create a video or import a batch, and it appears here while it renders.</div>
        </div>
      ) : (
        <QueueGrid
          groups={groups}
          collapsed={collapsed}
          onToggle={(id) => setCollapsed((cur) => (cur.has(id) ? new Set([...cur].filter((x) => x !== id)) : new Set([...cur, id])))}
          checked={checked}
          setChecked={setChecked}
          selectedJob={selectedJob}
          onOpen={selectJob}
          onAct={(ids, a) => void act(ids, a)}
          onMove={move}
          estimates={estimates}
        />
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
        Estimated {moneyList(batch.estimate)} · {batch.budget ? `cap ${money(batch.budget)}` : 'no spending cap'}
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
