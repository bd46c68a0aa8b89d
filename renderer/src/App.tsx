import { useEffect } from 'react';
import { Compose } from './screens/Compose';
import { Library } from './screens/Library';
import { Queue } from './screens/Queue';
import { SettingsScreen } from './screens/Settings';
import { call, useStore, type Route } from './store';

const NAV: readonly { route: Route; label: string; key: string; icon: string }[] = [
  { route: 'compose', label: 'Create', key: '1', icon: '✚' },
  { route: 'queue', label: 'Queue', key: '2', icon: '☰' },
  { route: 'library', label: 'Library', key: '3', icon: '▶' },
  { route: 'settings', label: 'Settings', key: '4', icon: '⚙' },
];

export function App() {
  const { ready, route, go, init, queue, notices, dismiss, info } = useStore();
  useEffect(() => {
    void init();
  }, [init]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
      const n = NAV.find((x) => x.key === e.key);
      if (n) {
        e.preventDefault();
        go(n.route);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [go]);

  const c = queue.counts;
  const active = (c.queued ?? 0) + (c.submitting ?? 0) + (c.running ?? 0) + (c.downloading ?? 0);
  const attention = (c.stalled ?? 0) + (c.submit_unknown ?? 0) + (c.awaiting_approval ?? 0) + (c.failed ?? 0);

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden>
            ◉
          </span>
          <span>Talkbatch</span>
        </div>
        {NAV.map((n) => (
          <button
            key={n.route}
            className={`nav-item${route === n.route ? ' active' : ''}`}
            aria-current={route === n.route ? 'page' : undefined}
            aria-label={n.label}
            onClick={() => go(n.route)}
            title={`${n.label} (Ctrl+${n.key})`}
          >
            <span className="nav-icon" aria-hidden>
              {n.icon}
            </span>
            <span>{n.label}</span>
            {n.route === 'queue' && active > 0 && <span className="badge">{active}</span>}
            {n.route === 'queue' && attention > 0 && (
              <span className="badge warn" title="Jobs that need your attention">
                {attention}
              </span>
            )}
          </button>
        ))}
        <div className="sidebar-foot">
          <button
            className={`queue-toggle${queue.paused ? ' paused' : ''}`}
            onClick={() => void call('queue:set-paused', { paused: !queue.paused })}
            aria-pressed={queue.paused}
          >
            {queue.paused ? '▶ Resume queue' : '❚❚ Pause queue'}
          </button>
          <div className="muted small">{queue.paused ? 'Paused: nothing new is sent.' : active ? `${active} job${active === 1 ? '' : 's'} in progress` : 'Queue idle'}</div>
          {info && <div className="muted tiny">v{info.version} · {info.mode === 'server' ? 'browser mode' : 'desktop'}</div>}
        </div>
      </nav>
      <main className="main" id="main">
        {!ready ? <div className="loading">Opening Talkbatch…</div> : route === 'compose' ? <Compose /> : route === 'queue' ? <Queue /> : route === 'library' ? <Library /> : <SettingsScreen />}
      </main>
      <div className="toasts" role="status" aria-live="polite">
        {notices.map((n) => (
          <div key={n.id} className={`toast ${n.level}`}>
            <span>{n.message}</span>
            <button className="icon-btn" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
