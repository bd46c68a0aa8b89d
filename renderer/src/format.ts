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
