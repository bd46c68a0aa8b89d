import type { Money } from '../../shared/model';

export function money(m: Readonly<{ amount: number | null; unit: Money['unit'] }> | null | undefined): string {
  if (!m || m.amount === null) return 'price unknown';
  if (m.unit === 'USD') return m.amount === 0 ? 'free' : `$${m.amount < 10 ? m.amount.toFixed(2) : m.amount.toFixed(0)}`;
  return `${Math.round(m.amount * 10) / 10} credits`;
}

export function moneyList(ms: readonly Money[]): string {
  return ms.length ? ms.map((m) => money(m)).join(' + ') : 'free';
}

export function duration(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '–';
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60 ? `${s % 60} s` : ''}`.trim();
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function when(ms: number): string {
  const d = new Date(ms);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "about 3 min", "40 s", "longer than usual": a job's or batch's time left in words. */
export function timeLeftText(t: Readonly<{ sec: number | null; approx: boolean; overdue?: boolean }>): string {
  if (t.overdue) return 'longer than usual';
  if (t.sec === null) return '–';
  if (t.sec < 5) return 'a few seconds';
  return `${t.approx ? 'about ' : ''}${duration(roundLeft(t.sec))}`;
}

/** Estimates are rounded so they do not flicker every second: 10 s steps under 2 min, minutes above. */
function roundLeft(sec: number): number {
  if (sec < 120) return Math.ceil(sec / 10) * 10;
  if (sec < 3600) return Math.ceil(sec / 60) * 60;
  return Math.ceil(sec / 300) * 300;
}

/** The sidebar's one line on the queue: paused (by the switch, or jobs paused by hand) is never "idle". */
export function queueStatus(paused: boolean, active: number, pausedJobs: number): { kind: 'paused' | 'busy' | 'held' | 'idle'; text: string } {
  const held = pausedJobs ? ` · ${pausedJobs} job${pausedJobs === 1 ? '' : 's'} paused` : '';
  if (paused) return { kind: 'paused', text: `Queue paused: nothing new is sent${active ? ` · ${active} waiting` : ''}` };
  if (active) return { kind: 'busy', text: `${active} job${active === 1 ? '' : 's'} in progress${held}` };
  if (pausedJobs) return { kind: 'held', text: `${pausedJobs} job${pausedJobs === 1 ? '' : 's'} paused, nothing running` };
  return { kind: 'idle', text: 'Queue idle: nothing to do' };
}

/** m:ss for a media position. */
export function clockOf(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
