import type { CSSProperties, DragEvent, KeyboardEvent } from 'react';
import type { JobAction } from '../../../../shared/contract';
import { explainCost } from '../../../../shared/cost-view';
import type { TimeLeft } from '../../../../shared/eta';
import { STATUS_LABELS } from '../../../../shared/lifecycle';
import type { JobRecord } from '../../../../shared/model';
import { PROVIDER_NAMES } from '../../../../shared/providers';
import { duration, timeLeftText } from '../../format';
import { Menu } from '../Menu';
import { isMovable, rowActions } from './job-actions';

export type RowDrag = Readonly<{
  onDragStart: (e: DragEvent) => void;
  onDragOver: (e: DragEvent) => void;
  onDrop: (e: DragEvent) => void;
  onDragEnd: () => void;
  dropBefore: boolean;
}>;

/** One job: a grid row of cells. Focus stays on the row (roving tabindex); the grid handles the keys. */
export function JobRow(props: {
  job: JobRecord;
  rowIndex: number;
  style: CSSProperties;
  active: boolean;
  checked: boolean;
  selected: boolean;
  left: TimeLeft;
  drag: RowDrag;
  onCheck: (on: boolean) => void;
  onOpen: () => void;
  onAct: (a: JobAction) => void;
  onFocus: () => void;
  onKeyDown: (e: KeyboardEvent) => void;
}) {
  const { job: j, left } = props;
  const label = STATUS_LABELS[j.status];
  const cost = explainCost(j);
  const costText = cost.billed ?? (j.costEstimate?.amount === 0 ? 'free' : cost.estimated ? `~${cost.estimated}` : cost.unknown ? 'price unknown' : '–');
  const costTitle = [cost.billed && cost.estimated ? `Estimated ${cost.estimated}, billed ${cost.billed}.` : cost.estimated && !cost.billed ? `Estimated ${cost.estimated}; billed when done.` : '', cost.why ?? '', cost.unknown ?? ''].filter(Boolean).join(' ');
  const actions = rowActions(j);
  const sub = j.error ? j.error.message : (j.input.script ?? j.input.prompt ?? '');
  const movable = isMovable(j);
  const showBar = j.status === 'running' || j.status === 'downloading' || j.status === 'submitting';
  const pct = Math.round((left.fraction ?? 0) * 100);
  const barText =
    left.elapsedSec !== null && left.expectedSec !== null
      ? `${duration(left.elapsedSec)} of ${left.approx ? 'about ' : ''}${duration(left.expectedSec)}`
      : `${pct}%`;
  return (
    <div
      className={`job-row${props.selected ? ' selected' : ''}${props.checked ? ' checked' : ''}${props.drag.dropBefore ? ' drop-before' : ''}`}
      role="row"
      aria-label={`${j.input.title}, ${PROVIDER_NAMES[j.provider]}, ${label}`}
      aria-rowindex={props.rowIndex}
      aria-selected={props.checked}
      tabIndex={props.active ? 0 : -1}
      style={props.style}
      data-status={j.status}
      data-job={j.id}
      draggable={movable}
      onDragStart={props.drag.onDragStart}
      onDragOver={props.drag.onDragOver}
      onDrop={props.drag.onDrop}
      onDragEnd={props.drag.onDragEnd}
      onClick={props.onOpen}
      onFocus={props.onFocus}
      onKeyDown={props.onKeyDown}
    >
      <span role="gridcell" onClick={(e) => e.stopPropagation()}>
        <input type="checkbox" tabIndex={-1} aria-label={`Select ${j.input.title}`} checked={props.checked} onChange={(e) => props.onCheck(e.target.checked)} />
      </span>
      <span role="gridcell" className="muted cell-row">
        {movable && (
          <span className="grip" aria-hidden title="Drag to move">
            ⠿
          </span>
        )}
        {j.row}
      </span>
      <span role="gridcell" className="cell-title">
        <div className="title">{j.input.title}</div>
        <div className="sub">
          <span className="narrow-only inline">
            {PROVIDER_NAMES[j.provider]}
            {sub ? ' · ' : ''}
          </span>
          {sub}
        </div>
      </span>
      <span role="gridcell" className="small cell-provider">
        {PROVIDER_NAMES[j.provider]}
      </span>
      <span role="gridcell">
        <span className={`pill ${j.status}`}>{label}</span>
        {showBar && (
          <div className="progress" role="progressbar" aria-label={`Progress of ${j.input.title}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={barText} title={barText}>
            <div style={{ width: `${Math.max(2, pct)}%` }} />
          </div>
        )}
      </span>
      <span role="gridcell" className="small cell-left" data-testid="time-left">
        {j.status === 'downloading' ? 'almost done' : j.status === 'queued' ? <span className="muted">waiting</span> : showBar ? timeLeftText(left) : '–'}
      </span>
      <span role="gridcell" className="small cell-cost" title={costTitle || undefined}>
        {costText}
        {cost.why && (
          <>
            <span className="cost-why" aria-hidden>
              {' '}
              ⓘ
            </span>
            <span className="sr-only"> {cost.why}</span>
          </>
        )}
      </span>
      <span role="gridcell" className="cell-actions" onClick={(e) => e.stopPropagation()}>
        <span className="wide-only row" style={{ gap: 4, flexWrap: 'nowrap' }}>
          {actions.map((a) => (
            <button key={a.action} className="btn small" tabIndex={-1} onClick={() => props.onAct(a.action)} aria-label={`${a.label}: ${j.input.title}`}>
              {a.label}
            </button>
          ))}
        </span>
        {actions.length > 0 && (
          <Menu className="narrow-only" tabIndex={-1} label={`Actions for ${j.input.title}`} items={actions.map((a) => ({ label: a.label, onSelect: () => props.onAct(a.action) }))} />
        )}
      </span>
    </div>
  );
}
