import { useState } from 'react';
import type { CredentialInfo, ProviderInfo } from '../../../shared/contract';
import { TEMPLATE_TOKENS, type Settings } from '../../../shared/settings';
import { money } from '../format';
import { call, callResult, describeError, useStore } from '../store';

const ASSET_FIELDS = [
  { key: 'accessKeyId', label: 'Access key ID', secret: true },
  { key: 'secretAccessKey', label: 'Secret access key', secret: true },
] as const;

/** Settings: write-only keys, provider endpoints and limits, the asset host, the library. */
export function SettingsScreen() {
  const { providers, credentials, settings, vault, refreshProviders, info } = useStore();
  if (!settings) return null;
  const save = async (patch: Partial<Settings>) => {
    const res = await callResult('settings:set', { patch });
    if (!res.ok) useStore.getState().notify('error', describeError(res.error));
    else {
      useStore.setState({ settings: res.value });
      await refreshProviders();
    }
  };
  return (
    <div>
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      {vault && !vault.secure && <div className="notice-box" style={{ marginBottom: 14 }}>{vault.description}</div>}
      {vault?.secure && <div className="ok-box" style={{ marginBottom: 14 }}>{vault.description}</div>}
      {vault?.notice && (
        <div className="notice-box" role="status" style={{ marginBottom: 14 }}>
          {vault.notice}
        </div>
      )}
      <div className="settings-grid">
        {providers
          .filter((p) => p.credentialFields.length > 0)
          .map((p) => (
            <ProviderKeys key={p.id} p={p} creds={credentials.filter((c) => c.provider === p.id)} settings={settings} onSave={save} />
          ))}
        <section className="panel stack" aria-labelledby="asset-h">
          <h2 id="asset-h">Asset host (for TechForge and Creatify)</h2>
          <p className="muted small" style={{ margin: 0 }}>
            These providers only accept public links. Local files are uploaded once to your own S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO) and the link is reused.
          </p>
          <AssetHostForm settings={settings} onSave={save} />
          <KeyList creds={credentials.filter((c) => c.provider === 'assethost')} />
          <KeyForm owner="assethost" fields={ASSET_FIELDS} onSaved={refreshProviders} />
        </section>
        <section className="panel stack" aria-labelledby="lib-h">
          <h2 id="lib-h">Library and files</h2>
          <TextSetting
            id="library-dir"
            label="Library folder"
            value={settings.libraryDir ?? info?.libraryDir ?? ''}
            help="Finished videos are saved here, one folder per batch."
            onSave={(v) => save({ libraryDir: v || undefined })}
          />
          <TextSetting id="template" label="File name template" value={settings.fileNameTemplate} help={`Tokens: ${TEMPLATE_TOKENS.join(' ')}`} onSave={(v) => save({ fileNameTemplate: v })} />
          <label className="field" htmlFor="stall">
            Mark a job stalled after (minutes without progress)
            <input id="stall" type="number" min={1} defaultValue={settings.stallMinutes} onBlur={(e) => void save({ stallMinutes: Number(e.target.value) })} />
          </label>
        </section>
        <section className="panel stack" aria-labelledby="notif-h">
          <h2 id="notif-h">Notifications and window</h2>
          <label className="check">
            <input type="checkbox" checked={settings.notifications.batchDone} onChange={(e) => void save({ notifications: { ...settings.notifications, batchDone: e.target.checked } })} />
            Notify me when a batch finishes
          </label>
          <label className="check">
            <input type="checkbox" checked={settings.notifications.failures} onChange={(e) => void save({ notifications: { ...settings.notifications, failures: e.target.checked } })} />
            Notify me about failures and jobs that need a decision
          </label>
          <label className="check">
            <input type="checkbox" checked={settings.closeToTray} onChange={(e) => void save({ closeToTray: e.target.checked })} />
            Keep rendering in the tray when the window is closed
          </label>
          <label className="check">
            <input type="checkbox" checked={settings.aisaEnabled} onChange={(e) => void save({ aisaEnabled: e.target.checked })} />
            Offer aisa.one (Sora 2; OpenAI retired the API on 2026-09-24)
          </label>
          {info && <div className="muted small">Data folder: <span className="mono">{info.dataDir}</span></div>}
        </section>
      </div>
    </div>
  );
}

function ProviderKeys({ p, creds, settings, onSave }: { p: ProviderInfo; creds: readonly CredentialInfo[]; settings: Settings; onSave: (patch: Partial<Settings>) => Promise<void> }) {
  const refreshProviders = useStore((s) => s.refreshProviders);
  const [test, setTest] = useState<string | null>(null);
  return (
    <section className="panel stack" aria-labelledby={`keys-${p.id}`}>
      <div className="row">
        <h2 id={`keys-${p.id}`} style={{ margin: 0, flex: 1 }}>
          {p.name}
        </h2>
        <span className={`pill ${p.configured ? 'completed' : 'stalled'}`}>{p.configured ? 'Configured' : 'Not set up'}</span>
      </div>
      {p.notice && <div className="notice-box">{p.notice}</div>}
      <KeyList creds={creds} />
      <div className="row">
        <button
          className="btn small"
          disabled={!p.configured}
          onClick={() => {
            setTest('Testing…');
            void call('credentials:test', { provider: p.id }).then((r) => setTest(r ? `${r.ok ? '✓' : '✕'} ${r.message}${r.balance ? ` · balance ${money(r.balance)}` : ''}` : null));
          }}
        >
          Test key
        </button>
        {test && <span className="small" aria-live="polite">{test}</span>}
      </div>
      <KeyForm owner={p.id} fields={p.credentialFields} onSaved={refreshProviders} />
      <details>
        <summary className="small">Advanced: endpoint and limits</summary>
        <div className="stack" style={{ marginTop: 10 }}>
          <TextSetting
            id={`base-${p.id}`}
            label="Base URL"
            value={settings.baseUrls[p.id] ?? ''}
            placeholder={p.defaultBaseUrl}
            help="Leave empty for the provider’s own address."
            onSave={(v) => onSave({ baseUrls: { ...settings.baseUrls, [p.id]: v || undefined } })}
          />
          <label className="field" htmlFor={`conc-${p.id}`}>
            Videos rendering at once (default {p.concurrencyDefault})
            <input
              id={`conc-${p.id}`}
              type="number"
              min={1}
              max={64}
              defaultValue={settings.concurrency[p.id] ?? ''}
              placeholder={String(p.concurrencyDefault)}
              onBlur={(e) => void onSave({ concurrency: { ...settings.concurrency, [p.id]: e.target.value ? Number(e.target.value) : undefined } })}
            />
          </label>
        </div>
      </details>
    </section>
  );
}

function KeyList({ creds }: { creds: readonly CredentialInfo[] }) {
  const refreshProviders = useStore((s) => s.refreshProviders);
  if (!creds.length) return null;
  // Environment variables (server/CLI mode) take precedence over saved keys while they are set.
  const envInUse = creds.some((c) => c.source === 'env');
  return (
    <div>
      {creds.map((c) => (
        <div key={c.id} className="key-row">
          <span>
            <strong>{c.label}</strong>{' '}
            {c.active && (c.source === 'env' || !envInUse) && <span className="pill completed">in use</span>}
            {c.active && c.source === 'vault' && envInUse && <span className="pill">saved · environment variables win while set</span>}{' '}
            <span className="muted mono">
              {Object.entries(c.hints)
                .map(([k, v]) => `${k} ${v}`)
                .join(' · ')}
            </span>
          </span>
          {c.source === 'vault' && (
            <span className="row" style={{ gap: 4 }}>
              {!c.active && (
                <button className="btn small" onClick={() => void call('credentials:activate', { id: c.id }).then(refreshProviders)}>
                  Use
                </button>
              )}
              <button className="btn small danger" aria-label={`Remove key ${c.label}`} onClick={() => void call('credentials:remove', { id: c.id }).then(refreshProviders)}>
                Remove
              </button>
            </span>
          )}
          {c.source === 'env' && <span className="muted small">from environment</span>}
        </div>
      ))}
    </div>
  );
}

/** Write-only: typed values are sent once and the fields are cleared; nothing secret comes back. */
function KeyForm({ owner, fields, onSaved }: { owner: ProviderInfo['id'] | 'assethost'; fields: readonly { key: string; label: string; secret: boolean; optional?: boolean }[]; onSaved: () => Promise<void> }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [label, setLabel] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    const res = await callResult('credentials:set', { provider: owner, label: label || 'Default', values });
    if (!res.ok) setError(describeError(res.error));
    else {
      setError(null);
      setValues({});
      setLabel('');
      useStore.getState().notify('info', `Key “${res.value.label}” saved.`);
      await onSaved();
    }
  };
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      aria-label={`Add a key for ${owner}`}
      autoComplete="off"
    >
      <div className="params">
        <label className="field" htmlFor={`${owner}-label`}>
          Name for this key
          <input id={`${owner}-label`} type="text" value={label} placeholder="e.g. Work account" onChange={(e) => setLabel(e.target.value)} />
        </label>
        {fields.map((f) => (
          <label key={f.key} className="field" htmlFor={`${owner}-${f.key}`}>
            {f.label}
            {f.optional ? ' (optional)' : ''}
            <input
              id={`${owner}-${f.key}`}
              type={f.secret ? 'password' : 'text'}
              autoComplete="off"
              spellCheck={false}
              value={values[f.key] ?? ''}
              onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}
            />
          </label>
        ))}
      </div>
      {error && <div className="error-box">{error}</div>}
      <div>
        <button className="btn" type="submit" disabled={!Object.values(values).some((v) => v.trim())}>
          Save key
        </button>
      </div>
    </form>
  );
}

function AssetHostForm({ settings, onSave }: { settings: Settings; onSave: (patch: Partial<Settings>) => Promise<void> }) {
  const cur = settings.assetHost;
  const [v, setV] = useState({ endpoint: cur?.endpoint ?? '', bucket: cur?.bucket ?? '', region: cur?.region ?? 'auto', publicBaseUrl: cur?.publicBaseUrl ?? '', prefix: cur?.prefix ?? 'talkbatch/' });
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void onSave({
          assetHost: v.endpoint
            ? { endpoint: v.endpoint, bucket: v.bucket, region: v.region || 'auto', prefix: v.prefix, pathStyle: true, ...(v.publicBaseUrl ? { publicBaseUrl: v.publicBaseUrl } : {}) }
            : undefined,
        });
      }}
    >
      <div className="params">
        {(
          [
            ['endpoint', 'Endpoint URL', 'https://<account>.r2.cloudflarestorage.com'],
            ['bucket', 'Bucket', 'my-bucket'],
            ['region', 'Region', 'auto'],
            ['publicBaseUrl', 'Public base URL (optional)', 'https://pub-….r2.dev'],
            ['prefix', 'Key prefix', 'talkbatch/'],
          ] as const
        ).map(([k, label, ph]) => (
          <label key={k} className="field" htmlFor={`ah-${k}`}>
            {label}
            <input id={`ah-${k}`} type="text" value={v[k]} placeholder={ph} onChange={(e) => setV({ ...v, [k]: e.target.value })} />
          </label>
        ))}
      </div>
      <div>
        <button className="btn" type="submit">
          Save asset host
        </button>
      </div>
    </form>
  );
}

function TextSetting({ id, label, value, help, placeholder, onSave }: { id: string; label: string; value: string; help?: string; placeholder?: string; onSave: (v: string) => Promise<void> }) {
  const [v, setV] = useState(value);
  return (
    <label className="field" htmlFor={id}>
      {label}
      <span className="row" style={{ flexWrap: 'nowrap' }}>
        <input id={id} type="text" value={v} placeholder={placeholder} onChange={(e) => setV(e.target.value)} style={{ flex: 1 }} />
        <button className="btn small" type="button" disabled={v === value} onClick={() => void onSave(v.trim())}>
          Save
        </button>
      </span>
      {help && <span className="help small">{help}</span>}
    </label>
  );
}
