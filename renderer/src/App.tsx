import { useEffect } from 'react';
import { Toasts } from './components/Toasts';
import { Compose } from './screens/Compose';
import { Library } from './screens/Library';
import { Queue } from './screens/Queue';
import { SettingsScreen } from './screens/Settings';
import { queueStatus } from './format';
import { call, useStore, type Route } from './store';

const NAV: readonly { route: Route; label: string; key: string; icon: string }[] = [
  { route: 'compose', label: 'Create', key: '1', icon: '✚' },
  { route: 'queue', label: 'Queue', key: '2', icon: '☰' },
  { route: 'library', label: 'Library', key: '3', icon: '▶' },
  { route: 'settings', label: 'Settings', key: '4', icon: '⚙' },
];

export function App() {
  const { ready, route, go, init, queue, info, selectedJob } = useStore();
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
  const pausedJobs = c.paused ?? 0;
  const status = queueStatus(queue.paused, active, pausedJobs);

  return (
    <div className={`app${selectedJob && route === 'queue' ? ' with-drawer' : ''}`}>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden>
            ◉
          </span>
          <span>Talkbatch</span>
        </div>
        {NAV.map((n) => (
          // Counts sit beside the button, not in it: the button's name stays its visible label
          // ("Queue"), and the counts are said through its description.
          <div key={n.route} className="nav-slot">
            <button
              className={`nav-item${route === n.route ? ' active' : ''}`}
              aria-current={route === n.route ? 'page' : undefined}
              aria-describedby={n.route === 'queue' && (active > 0 || attention > 0) ? 'queue-counts' : undefined}
              onClick={() => go(n.route)}
              title={`${n.label} (Ctrl+${n.key})`}
            >
              <span className="nav-icon" aria-hidden>
                {n.icon}
              </span>
              {n.label}
            </button>
            {n.route === 'queue' && (active > 0 || attention > 0) && (
              <span className="nav-badges" aria-hidden>
                {active > 0 && <span className="badge">{active}</span>}
                {attention > 0 && <span className="badge warn">{attention}</span>}
              </span>
            )}
          </div>
        ))}
        {(active > 0 || attention > 0) && (
          <span className="sr-only" id="queue-counts">
            {active} in progress, {attention} need attention
          </span>
        )}
        <div className="sidebar-foot">
          <button
            className={`queue-toggle${queue.paused ? ' paused' : ''}`}
            onClick={() => void call('queue:set-paused', { paused: !queue.paused })}
            aria-pressed={queue.paused}
          >
            {queue.paused ? '▶ Resume queue' : '❚❚ Pause queue'}
          </button>
          <div className={`queue-status small ${status.kind}`} data-testid="queue-status" role="status">
            <span className="dot" aria-hidden />
            {status.text}
          </div>
          {info && <div className="muted tiny">v{info.version} · {info.mode === 'server' ? 'browser mode' : 'desktop'}</div>}
        </div>
      </nav>
      <main className="main" id="main">
        {!ready ? <div className="loading">Opening Talkbatch…</div> : route === 'compose' ? <Compose /> : route === 'queue' ? <Queue /> : route === 'library' ? <Library /> : <SettingsScreen />}
      </main>
      <Toasts />
    </div>
  );
}
