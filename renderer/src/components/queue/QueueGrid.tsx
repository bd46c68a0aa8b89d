import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import type { JobAction } from '../../../../shared/contract';
import type { CostSummary } from '../../../../shared/cost-view';
import { jobTimeLeft, type BatchProgress } from '../../../../shared/eta';
import type { BatchSummary, JobRecord } from '../../../../shared/model';
import { BatchHeader } from './BatchHeader';
import { isMovable } from './job-actions';
import { JobRow } from './JobRow';
import type { Estimates } from './use-estimates';

export type BatchGroup = Readonly<{ batch: BatchSummary; jobs: readonly JobRecord[]; progress: BatchProgress; cost: CostSummary }>;
export type MovePosition = 'top' | 'bottom' | 'up' | 'down' | 'before';

type Item = Readonly<{ kind: 'batch'; key: string; group: BatchGroup }> | Readonly<{ kind: 'job'; key: string; job: JobRecord }>;

const HEADER_H = 58;
const ROW_H = 52;

/**
 * The queue as an ARIA grid: batch header rows, each followed by its jobs' rows of cells; virtualized
 * (thousands of jobs stay smooth). One row is in the tab order at a time; arrow keys move between rows,
 * Enter opens a job (or folds a batch), Space selects, Alt+arrows / Alt+Home / Alt+End move the job(s)
 * in the line. Waiting jobs can also be dragged onto another waiting job of their batch.
 */
export function QueueGrid(props: {
  groups: readonly BatchGroup[];
  collapsed: ReadonlySet<string>;
  onToggle: (batchId: string) => void;
  checked: ReadonlySet<string>;
  setChecked: (next: Set<string>) => void;
  selectedJob: string | null;
  onOpen: (id: string) => void;
  onAct: (ids: readonly string[], a: JobAction) => void;
  onMove: (ids: readonly string[], position: MovePosition, before?: string) => void;
  estimates: Estimates;
}) {
  const { groups, collapsed, checked, estimates } = props;
  const items = useMemo(() => {
    const out: Item[] = [];
    for (const g of groups) {
      out.push({ kind: 'batch', key: `b:${g.batch.id}`, group: g });
      if (!collapsed.has(g.batch.id)) for (const j of g.jobs) out.push({ kind: 'job', key: j.id, job: j });
    }
    return out;
  }, [groups, collapsed]);
  const allJobs = useMemo(() => groups.flatMap((g) => g.jobs), [groups]);

  const parent = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({
    count: items.length,
    getScrollElement: () => parent.current,
    estimateSize: (i) => (items[i]?.kind === 'batch' ? HEADER_H : ROW_H),
    getItemKey: (i) => items[i]!.key,
    overscan: 12,
  });

  const [activeKey, setActiveKey] = useState<string | null>(null);
  const activeIndex = Math.max(0, items.findIndex((it) => it.key === activeKey));
  const wantFocus = useRef(false);
  useEffect(() => {
    if (!wantFocus.current) return;
    wantFocus.current = false;
    virt.scrollToIndex(activeIndex, { align: 'auto' });
    requestAnimationFrame(() => parent.current?.querySelector<HTMLElement>(`[aria-rowindex="${activeIndex + 2}"]`)?.focus());
  }, [activeIndex, activeKey, virt]);

  const go = (i: number) => {
    const it = items[Math.max(0, Math.min(items.length - 1, i))];
    if (!it) return;
    wantFocus.current = true;
    setActiveKey(it.key);
  };

  /** The job(s) a move applies to: the selection when the focused job is in it, else the focused job. */
  const moveSet = (j: JobRecord) => (checked.has(j.id) ? allJobs.filter((x) => checked.has(x.id) && isMovable(x)).map((x) => x.id) : [j.id]);

  const onKey = (e: KeyboardEvent, i: number) => {
    const it = items[i]!;
    const move = (p: MovePosition) => {
      e.preventDefault();
      if (it.kind === 'job' && isMovable(it.job)) {
        wantFocus.current = true;
        props.onMove(moveSet(it.job), p);
      }
    };
    if (e.altKey && it.kind === 'job') {
      if (e.key === 'ArrowUp') return move('up');
      if (e.key === 'ArrowDown') return move('down');
      if (e.key === 'Home') return move('top');
      if (e.key === 'End') return move('bottom');
    }
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        return go(i + 1);
      case 'ArrowUp':
        e.preventDefault();
        return go(i - 1);
      case 'Home':
        e.preventDefault();
        return go(0);
      case 'End':
        e.preventDefault();
        return go(items.length - 1);
      case 'PageDown':
        e.preventDefault();
        return go(i + 10);
      case 'PageUp':
        e.preventDefault();
        return go(i - 10);
      case 'Enter':
        e.preventDefault();
        if (it.kind === 'job') props.onOpen(it.job.id);
        else props.onToggle(it.group.batch.id);
        return;
      case ' ':
        if (it.kind !== 'job') return;
        e.preventDefault();
        props.setChecked(toggled(checked, it.job.id, !checked.has(it.job.id)));
        return;
      case 'ArrowLeft':
      case 'ArrowRight':
        if (it.kind === 'batch' && collapsed.has(it.group.batch.id) === (e.key === 'ArrowRight')) {
          e.preventDefault();
          props.onToggle(it.group.batch.id);
        }
        return;
    }
  };

  const [drag, setDrag] = useState<{ ids: readonly string[]; batchId: string } | null>(null);
  const [dropOn, setDropOn] = useState<string | null>(null);
  const dragFor = (j: JobRecord) => ({
    onDragStart: (e: DragEvent) => {
      if (!isMovable(j)) return e.preventDefault();
      const ids = moveSet(j).filter((id) => allJobs.find((x) => x.id === id)?.batchId === j.batchId);
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', ids.join(','));
      setDrag({ ids, batchId: j.batchId });
    },
    onDragOver: (e: DragEvent) => {
      if (!drag || !isMovable(j) || j.batchId !== drag.batchId || drag.ids.includes(j.id)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'move';
      if (dropOn !== j.id) setDropOn(j.id);
    },
    onDrop: (e: DragEvent) => {
      e.preventDefault();
      if (drag && dropOn === j.id) props.onMove(drag.ids, 'before', j.id);
      setDrag(null);
      setDropOn(null);
    },
    onDragEnd: () => {
      setDrag(null);
      setDropOn(null);
    },
    dropBefore: dropOn === j.id,
  });

  const shownIds = allJobs.map((j) => j.id);
  const allChecked = shownIds.length > 0 && shownIds.every((id) => checked.has(id));

  return (
    <div className="queue-list" ref={parent} role="grid" aria-label="Jobs by batch" aria-rowcount={items.length + 1} aria-colcount={8} aria-multiselectable="true">
      <div className="job-head" role="row" aria-rowindex={1}>
        <span role="columnheader">
          <input
            type="checkbox"
            aria-label="Select all shown jobs"
            checked={allChecked}
            onChange={(e) => props.setChecked(e.target.checked ? new Set(shownIds) : new Set())}
          />
        </span>
        <span role="columnheader">Row</span>
        <span role="columnheader">Title</span>
        <span role="columnheader" className="cell-provider">
          Provider
        </span>
        <span role="columnheader">Status</span>
        <span role="columnheader">Time left</span>
        <span role="columnheader">Cost</span>
        <span role="columnheader">
          <span className="sr-only">Actions</span>
        </span>
      </div>
      <div role="rowgroup" style={{ height: virt.getTotalSize(), position: 'relative' }}>
        {virt.getVirtualItems().map((v) => {
          const it = items[v.index]!;
          const style = { position: 'absolute' as const, top: 0, left: 0, right: 0, height: v.size, transform: `translateY(${v.start}px)` };
          const common = { rowIndex: v.index + 2, style, active: v.index === activeIndex, onFocus: () => setActiveKey(it.key), onKeyDown: (e: KeyboardEvent) => onKey(e, v.index) };
          if (it.kind === 'batch') {
            const g = it.group;
            return (
              <BatchHeader key={it.key} {...common} batch={g.batch} progress={g.progress} cost={g.cost} collapsed={collapsed.has(g.batch.id)} shown={g.jobs.length} onToggle={() => props.onToggle(g.batch.id)} />
            );
          }
          const j = it.job;
          return (
            <JobRow
              key={it.key}
              {...common}
              job={j}
              checked={checked.has(j.id)}
              selected={props.selectedJob === j.id}
              left={jobTimeLeft(j, estimates.expectedOf(j), estimates.now)}
              drag={dragFor(j)}
              onCheck={(on) => props.setChecked(toggled(checked, j.id, on))}
              onOpen={() => props.onOpen(j.id)}
              onAct={(a) => props.onAct([j.id], a)}
            />
          );
        })}
      </div>
    </div>
  );
}

function toggled(set: ReadonlySet<string>, id: string, on: boolean): Set<string> {
  const next = new Set(set);
  if (on) next.add(id);
  else next.delete(id);
  return next;
}
