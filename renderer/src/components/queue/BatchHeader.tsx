import type { CSSProperties, KeyboardEvent } from 'react';
import { totalsLabel, type CostSummary } from '../../../../shared/cost-view';
import type { BatchProgress } from '../../../../shared/eta';
import type { BatchSummary } from '../../../../shared/model';
import { timeLeftText } from '../../format';

/** A batch's header row: name, done/total with a bar that means exactly that, time left, cost per unit. */
export function BatchHeader(props: {
  batch: BatchSummary;
  progress: BatchProgress;
  cost: CostSummary;
  collapsed: boolean;
  shown: number;
  rowIndex: number;
  style: CSSProperties;
  active: boolean;
  onToggle: () => void;
  onFocus: () => void;
  onKeyDown: (e: KeyboardEvent) => void;
}) {
  const { batch: b, progress: p, cost } = props;
  const left = p.finished ? 'finished' : p.leftSec === null ? (p.paused ? 'paused' : p.needsYou ? 'waiting for you' : '–') : `${timeLeftText({ sec: p.leftSec, approx: p.approx })} left`;
  const counts = [
    `${p.done}/${p.total} done`,
    p.failed ? `${p.failed} failed` : '',
    p.canceled ? `${p.canceled} canceled` : '',
    p.running ? `${p.running} rendering` : '',
    p.waiting ? `${p.waiting} waiting` : '',
    p.paused ? `${p.paused} paused` : '',
    p.needsYou ? `${p.needsYou} need you` : '',
  ].filter(Boolean);
  const spent = totalsLabel(cost.billed, '');
  const toCome = totalsLabel(cost.estimated, '');
  const unknown = cost.unknown.reduce((n, u) => n + u.count, 0);
  return (
    <div
      className={`batch-row${p.finished ? ' finished' : ''}`}
      role="row"
      aria-rowindex={props.rowIndex}
      tabIndex={props.active ? 0 : -1}
      style={props.style}
      data-batch={b.id}
      onFocus={props.onFocus}
      onKeyDown={props.onKeyDown}
      onClick={props.onToggle}
    >
      <div role="gridcell" aria-colspan={8} className="batch-cell">
        <button
          className="chev"
          tabIndex={-1}
          aria-expanded={!props.collapsed}
          aria-label={`${props.collapsed ? 'Show' : 'Hide'} the jobs of ${b.name}`}
          onClick={(e) => {
            e.stopPropagation();
            props.onToggle();
          }}
        >
          {props.collapsed ? '▸' : '▾'}
        </button>
        <span className="batch-main">
          <span className="bname">{b.name}</span>
          <span className="muted small">
            {counts.join(' · ')}
            {props.shown !== p.total ? ` · ${props.shown} shown` : ''}
          </span>
        </span>
        <span className="batch-meter">
          <span className="meter" role="progressbar" aria-label={`${b.name}: done`} aria-valuemin={0} aria-valuemax={p.total} aria-valuenow={p.done} aria-valuetext={`${p.done} of ${p.total} done`}>
            <span className="done" style={{ width: `${p.fraction * 100}%` }} />
            <span className="fail" style={{ width: `${(p.failed / Math.max(1, p.total)) * 100}%` }} />
          </span>
          <span className="small batch-left" data-testid="batch-time-left">
            {left}
          </span>
        </span>
        <span className="small batch-cost" data-testid="batch-cost">
          {spent && <span>Spent {spent}</span>}
          {toCome && <span className="muted">{spent ? ' · ' : ''}estimated ~{toCome}</span>}
          {unknown > 0 && (
            <span className="muted" title={cost.unknown.map((u) => u.hint).join(' ')}>
              {spent || toCome ? ' · ' : ''}
              {unknown} without a price
            </span>
          )}
          {!spent && !toCome && !unknown && <span className="muted">free</span>}
        </span>
      </div>
    </div>
  );
}
