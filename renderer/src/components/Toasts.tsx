import { useEffect, useRef, useState } from 'react';
import { useStore, type Notice } from '../store';

/** How long each kind stays: errors longest, but every toast goes by itself (the issue: warnings stayed). */
export const TOAST_MS: Readonly<Record<Notice['level'], number>> = { info: 5000, warn: 9000, error: 14000 };

/**
 * Toasts: they dismiss themselves (paused while the pointer or focus is on them, so they can be read),
 * and sit beside an open details panel, never over it (App moves them with the `with-drawer` class).
 */
export function Toasts() {
  const notices = useStore((s) => s.notices);
  const dismiss = useStore((s) => s.dismiss);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {notices.map((n) => (
        <Toast key={n.id} n={n} onDismiss={() => dismiss(n.id)} />
      ))}
    </div>
  );
}

function Toast({ n, onDismiss }: { n: Notice; onDismiss: () => void }) {
  const [held, setHeld] = useState(false);
  const done = useRef(onDismiss);
  done.current = onDismiss;
  useEffect(() => {
    if (held) return;
    const t = setTimeout(() => done.current(), TOAST_MS[n.level]);
    return () => clearTimeout(t);
  }, [held, n.level]);
  return (
    <div
      className={`toast ${n.level}`}
      data-level={n.level}
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <span>{n.message}</span>
      <button className="icon-btn" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
