import { useMemo, useState } from 'react';
import { splitScripts } from '../../../shared/batch-format';
import type { PreflightReport } from '../../../shared/contract';
import type { BatchRow } from '../../../shared/model';
import { estimateSpokenSeconds, type ValidationInput } from '../../../shared/provider-spec';
import type { ProviderId } from '../../../shared/providers';
import { FileDrop, type DroppedAsset } from '../components/FileDrop';
import { ParamsForm } from '../components/ParamsForm';
import { duration, money, moneyList } from '../format';
import { SPECS } from '../specs';
import { call, callResult, describeError, useStore } from '../store';

type Mode = 'single' | 'scripts' | 'file' | 'matrix';

/** Create: files, script, provider and settings → preflight → queue. Also the batch builder. */
export function Compose() {
  const providers = useStore((s) => s.providers);
  const go = useStore((s) => s.go);
  const notify = useStore((s) => s.notify);
  const [mode, setMode] = useState<Mode>('single');
  const [assets, setAssets] = useState<DroppedAsset[]>([]);
  const [avatarIds, setAvatarIds] = useState<Set<string>>(new Set());
  const [audioId, setAudioId] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  const [script, setScript] = useState('');
  const [scripts, setScripts] = useState('');
  const [chosen, setChosen] = useState<ProviderId[]>(['local']);
  const [params, setParams] = useState<Partial<Record<ProviderId, Record<string, unknown>>>>({});
  const [fileRows, setFileRows] = useState<{ rows: BatchRow[]; name: string; baseDir?: string; headers: string[]; problems: string[]; unknown: string[] } | null>(null);
  const [fileText, setFileText] = useState<{ text: string; format: 'csv' | 'jsonl'; name: string; baseDir?: string } | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [budget, setBudget] = useState<{ amount: string; unit: 'USD' | 'credits' }>({ amount: '', unit: 'USD' });
  const [report, setReport] = useState<PreflightReport | null>(null);
  const [checking, setChecking] = useState(false);
  const [testFirst, setTestFirst] = useState<number | null>(null);
  const [batchName, setBatchName] = useState('');

  const provider = chosen[0] ?? 'local';
  const spec = SPECS[provider];
  const avatars = assets.filter((a) => a.asset.kind !== 'audio');
  const audios = assets.filter((a) => a.asset.kind === 'audio');
  const selectedAvatars = avatars.filter((a) => avatarIds.has(a.asset.id));
  const audio = audios.find((a) => a.asset.id === audioId) ?? null;

  const addAssets = (added: DroppedAsset[]) => {
    setAssets((cur) => [...cur.filter((c) => !added.some((a) => a.asset.id === c.asset.id)), ...added]);
    const firstAvatar = added.find((a) => a.asset.kind !== 'audio');
    const firstAudio = added.find((a) => a.asset.kind === 'audio');
    if (firstAvatar) setAvatarIds((cur) => (mode === 'matrix' ? new Set([...cur, ...added.filter((a) => a.asset.kind !== 'audio').map((a) => a.asset.id)]) : new Set([firstAvatar.asset.id])));
    if (firstAudio) setAudioId(firstAudio.asset.id);
    setReport(null);
  };
  const toggleAsset = (id: string) => {
    const a = assets.find((x) => x.asset.id === id);
    if (!a) return;
    if (a.asset.kind === 'audio') setAudioId(audioId === id ? null : id);
    else if (mode === 'matrix') setAvatarIds((cur) => new Set(cur.has(id) ? [...cur].filter((x) => x !== id) : [...cur, id]));
    else setAvatarIds(new Set([id]));
    setReport(null);
  };

  // Live numbers for the chosen provider: limits, spoken length, cost.
  const limit = spec.limits.scriptMaxChars ?? spec.limits.promptMaxChars;
  const words = script.trim() ? script.trim().split(/\s+/).length : 0;
  const spoken = audio?.asset.durationSec ?? estimateSpokenSeconds(script);
  const liveEstimate = useMemo(() => {
    const vin: ValidationInput = {
      title: title || 'Untitled',
      ...(script ? { script } : {}),
      ...(selectedAvatars[0] ? { avatar: { asset: selectedAvatars[0].asset } } : {}),
      ...(audio ? { audio: { asset: audio.asset } } : {}),
      params: params[provider] ?? {},
    };
    try {
      return spec.estimateCost(vin);
    } catch {
      return null;
    }
  }, [spec, title, script, selectedAvatars, audio, params, provider]);

  const rows: BatchRow[] = useMemo(() => {
    const fileRef = (a: DroppedAsset | null | undefined) => (a ? `asset:${a.asset.id}` : undefined);
    const base = (p: ProviderId, s: string | undefined, t: string, av: DroppedAsset | undefined): BatchRow => ({
      title: t,
      provider: p,
      ...(s ? { script: s } : {}),
      ...(av ? { avatar: fileRef(av) } : {}),
      ...(audio ? { audio: fileRef(audio) } : {}),
      params: params[p] ?? {},
    });
    const titleOf = (s: string, i: number) => (title.trim() ? `${title.trim()} ${i + 1}` : s.split(/\s+/).slice(0, 6).join(' ').replace(/[^\p{L}\p{N} ,'!?-]/gu, '').slice(0, 60) || `Take ${i + 1}`);
    if (mode === 'single') return [base(provider, script.trim() || undefined, title.trim() || titleOf(script, 0), selectedAvatars[0])];
    if (mode === 'scripts') return splitScripts(scripts).map((s, i) => base(provider, s, titleOf(s, i), selectedAvatars[0]));
    if (mode === 'matrix') {
      const list = splitScripts(scripts);
      const out: BatchRow[] = [];
      list.forEach((s, i) => {
        for (const av of selectedAvatars.length ? selectedAvatars : [undefined]) for (const p of chosen) out.push(base(p, s, `${titleOf(s, i)}${av ? ` · ${av.asset.name.replace(/\.[^.]+$/, '')}` : ''}`, av));
      });
      return out;
    }
    return fileRows?.rows ?? [];
  }, [mode, provider, script, scripts, title, selectedAvatars, audio, params, chosen, fileRows]);

  const preflight = async () => {
    setChecking(true);
    const res = await callResult('batches:preflight', { rows: rows as BatchRow[], ...(fileRows?.baseDir && mode === 'file' ? { baseDir: fileRows.baseDir } : {}) });
    setChecking(false);
    if (res.ok) setReport(res.value);
    else notify('error', describeError(res.error));
  };
  const admit = async () => {
    setChecking(true);
    const res = await callResult('batches:create', {
      name: batchName || (mode === 'file' ? (fileRows?.name ?? '') : mode === 'single' ? title || 'Single videos' : ''),
      rows: rows as BatchRow[],
      ...(testFirst ? { testFirst } : {}),
      ...(fileRows?.baseDir && mode === 'file' ? { baseDir: fileRows.baseDir } : {}),
      ...(budget.amount && Number(budget.amount) > 0 ? { budget: { amount: Number(budget.amount), unit: budget.unit } } : {}),
    });
    setChecking(false);
    if (!res.ok) {
      notify('error', describeError(res.error));
      if (res.error.code === 'invalid_batch') void preflight();
      return;
    }
    notify('info', `${res.value.jobIds.length} video${res.value.jobIds.length === 1 ? '' : 's'} added to the queue${testFirst ? ` (the first ${testFirst} render now as a test; release the rest from the queue)` : ''}.`);
    setReport(null);
    setScript('');
    setScripts('');
    setTitle('');
    go('queue');
  };

  const parseFile = async (src: NonNullable<typeof fileText>, map: Record<string, string>) => {
    const parsed = await call('batches:parse', { text: src.text, format: src.format, mapping: map });
    if (!parsed) return;
    setFileRows({
      rows: [...parsed.rows],
      name: src.name,
      headers: [...parsed.headers],
      problems: parsed.issues.map((i) => `${i.row !== undefined ? `Row ${i.row}, ` : ''}${i.field}: ${i.message}${i.accepted ? ` (accepted: ${i.accepted})` : ''}`),
      // Columns the format does not know: offered for mapping (headers differ between tools).
      unknown: parsed.issues.filter((i) => i.message.startsWith('unknown column')).map((i) => i.field),
      ...(src.baseDir ? { baseDir: src.baseDir } : {}),
    });
    setReport(null);
  };
  const loadFile = async (f: File) => {
    const src = {
      text: await f.text(),
      format: /\.jsonl?$/i.test(f.name) ? ('jsonl' as const) : ('csv' as const),
      name: f.name.replace(/\.(csv|jsonl?)$/i, ''),
      // The batch file's folder, when the desktop app knows the file's path (a file not on disk has none).
      ...(window.talkbatch && folderOf(window.talkbatch.pathForFile(f)) ? { baseDir: folderOf(window.talkbatch.pathForFile(f)) } : {}),
    };
    setFileText(src);
    setMapping({});
    await parseFile(src, {});
  };
  const mapColumn = (from: string, to: string) => {
    const next = { ...mapping, [from]: to };
    setMapping(next);
    if (fileText) void parseFile(fileText, next);
  };

  const info = providers.find((p) => p.id === provider);
  const overLimit = limit !== undefined && script.length > limit;
  const nearLimit = limit !== undefined && script.length > limit * 0.9;

  return (
    <div>
      <div className="page-head">
        <h1>Create videos</h1>
        <div className="tabs" role="tablist" aria-label="How to create">
          {(
            [
              ['single', 'One video'],
              ['scripts', 'Many scripts'],
              ['file', 'Import CSV / JSONL'],
              ['matrix', 'Matrix'],
            ] as const
          ).map(([m, label]) => (
            <button
              key={m}
              role="tab"
              aria-selected={mode === m}
              className={`tab${mode === m ? ' active' : ''}`}
              onClick={() => {
                setMode(m);
                setReport(null);
                if (m !== 'matrix') setChosen([provider]);
              }}
            >
              {label}
            </button>
          ))}
        </div>
      </div>
      <div className="grid-2">
        <div className="stack">
          {mode !== 'file' && (
            <section className="panel stack" aria-labelledby="files-h">
              <h2 id="files-h">Avatar and voice</h2>
              <FileDrop
                assets={assets}
                onAdd={addAssets}
                onRemove={(id) => {
                  setAssets(assets.filter((a) => a.asset.id !== id));
                  setAvatarIds(new Set([...avatarIds].filter((x) => x !== id)));
                  if (audioId === id) setAudioId(null);
                }}
                selected={new Set([...avatarIds, ...(audioId ? [audioId] : [])])}
                onSelect={toggleAsset}
              />
              <div className="muted small">
                {selectedAvatars.length ? `Avatar: ${selectedAvatars.map((a) => a.asset.name).join(', ')}` : 'No avatar chosen.'} ·{' '}
                {audio ? `Voice audio: ${audio.asset.name} (${duration(audio.asset.durationSec)})` : 'No audio: the provider speaks the script (TTS) where it can.'}
              </div>
            </section>
          )}
          {mode === 'single' && (
            <section className="panel stack" aria-labelledby="script-h">
              <h2 id="script-h">Script</h2>
              <label className="field" htmlFor="title">
                Title (names the file)
                <input id="title" type="text" value={title} onChange={(e) => setTitle(e.target.value)} placeholder="e.g. Product intro" />
              </label>
              <label className="field" htmlFor="script">
                What the avatar says
                <textarea id="script" className="script" value={script} onChange={(e) => (setScript(e.target.value), setReport(null))} placeholder="Type or paste the script…" />
              </label>
              <div className="counter" aria-live="polite">
                <span className={overLimit ? 'bad' : nearLimit ? 'warn' : ''}>
                  {script.length.toLocaleString()}
                  {limit ? ` / ${limit.toLocaleString()}` : ''} characters
                </span>
                <span>{words} words</span>
                <span>≈ {duration(spoken)} spoken</span>
                <span>
                  Estimated cost: <strong>{money(liveEstimate)}</strong>
                </span>
                {overLimit && <span className="bad">Over {spec.displayName}’s limit: shorten it or split it into several videos.</span>}
                {!overLimit && nearLimit && <span className="warn">Close to {spec.displayName}’s limit.</span>}
              </div>
            </section>
          )}
          {(mode === 'scripts' || mode === 'matrix') && (
            <section className="panel stack" aria-labelledby="scripts-h">
              <h2 id="scripts-h">Scripts</h2>
              <label className="field" htmlFor="scripts">
                One script per line, or separate longer scripts with a blank line
                <textarea id="scripts" className="script" value={scripts} onChange={(e) => (setScripts(e.target.value), setReport(null))} />
              </label>
              <label className="field" htmlFor="title-prefix">
                Title prefix (optional; otherwise each title comes from its script’s first words)
                <input id="title-prefix" type="text" value={title} onChange={(e) => setTitle(e.target.value)} />
              </label>
              <div className="muted small">
                {splitScripts(scripts).length} script(s)
                {mode === 'matrix' && ` × ${Math.max(1, selectedAvatars.length)} avatar(s) × ${chosen.length} provider(s) = ${rows.length} videos`}
              </div>
            </section>
          )}
          {mode === 'file' && (
            <section className="panel stack" aria-labelledby="import-h">
              <h2 id="import-h">Import a batch file</h2>
              <p className="muted small" style={{ margin: 0 }}>
                Columns: <span className="mono">title, provider, script, avatar, audio, video, prompt, param.&lt;name&gt;</span> — the same format as the <span className="mono">talkbatch run</span> command. File paths are relative to the batch file
                {window.talkbatch ? '.' : ' (in browser mode, use absolute paths on this computer, or URLs).'}
              </p>
              <input type="file" accept=".csv,.jsonl,.json,text/csv" aria-label="Choose a CSV or JSONL file" onChange={(e) => e.target.files?.[0] && void loadFile(e.target.files[0])} />
              {fileRows && (
                <div className="stack">
                  <div className="muted small">
                    {fileRows.rows.length} row(s) from {fileRows.name}
                    {fileRows.headers.length ? ` · columns: ${fileRows.headers.join(', ')}` : ''}
                  </div>
                  {(fileRows.unknown.length > 0 || Object.keys(mapping).length > 0) && (
                    <div className="stack" aria-label="Column mapping">
                      <h3>Match your columns</h3>
                      {[...new Set([...Object.keys(mapping), ...fileRows.unknown])].map((h) => (
                        <label key={h} className="row small" htmlFor={`map-${h}`}>
                          <span className="mono" style={{ minWidth: 140 }}>
                            {h}
                          </span>
                          →
                          <select id={`map-${h}`} value={mapping[h] ?? h} onChange={(e) => mapColumn(h, e.target.value)}>
                            <option value={h}>(choose)</option>
                            <option value="">ignore this column</option>
                            {['title', 'provider', 'script', 'avatar', 'audio', 'video', 'prompt'].map((c) => (
                              <option key={c} value={c}>
                                {c}
                              </option>
                            ))}
                            <option value={`param.${h.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase()}`}>a provider setting (param.{h.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase()})</option>
                          </select>
                        </label>
                      ))}
                    </div>
                  )}
                  {fileRows.problems.length > 0 && (
                    <div className="error-box">
                      {fileRows.problems.slice(0, 12).map((p) => (
                        <div key={p}>{p}</div>
                      ))}
                    </div>
                  )}
                </div>
              )}
            </section>
          )}
        </div>
        <div className="stack">
          {mode !== 'file' && (
            <section className="panel stack" aria-labelledby="prov-h">
              <h2 id="prov-h">{mode === 'matrix' ? 'Providers (choose several)' : 'Provider'}</h2>
              <div className="providers" role={mode === 'matrix' ? 'group' : 'radiogroup'} aria-labelledby="prov-h">
                {providers.map((p) => {
                  const on = chosen.includes(p.id);
                  return (
                    <button
                      key={p.id}
                      className={`provider-card${on ? ' selected' : ''}`}
                      role={mode === 'matrix' ? 'checkbox' : 'radio'}
                      aria-checked={on}
                      onClick={() => {
                        setReport(null);
                        if (mode === 'matrix') setChosen(on ? chosen.filter((x) => x !== p.id) : [...chosen, p.id]);
                        else setChosen([p.id]);
                      }}
                    >
                      <span className="pname">{p.name}</span>
                      <span className="muted tiny">{p.costRule.length > 70 ? `${p.costRule.slice(0, 70)}…` : p.costRule}</span>
                      {!p.configured && <span className="setup">Needs a key · set up in Settings</span>}
                      {!p.enabled && <span className="setup">Turned off</span>}
                    </button>
                  );
                })}
              </div>
              {info && !info.configured && (
                <div className="notice-box">
                  {info.name} needs an API key.{' '}
                  <button className="btn small" onClick={() => go('settings')}>
                    Set up {info.name}
                  </button>
                </div>
              )}
              {info?.notice && <div className="notice-box">{info.notice}</div>}
            </section>
          )}
          {mode !== 'file' &&
            chosen.map((p) => (
              <section key={p} className="panel stack" aria-label={`${SPECS[p].displayName} settings`}>
                <h2>{SPECS[p].displayName} settings</h2>
                <ParamsForm spec={SPECS[p]} idPrefix={`param-${p}`} value={params[p] ?? {}} onChange={(v) => (setParams({ ...params, [p]: v }), setReport(null))} />
              </section>
            ))}
          <section className="panel stack" aria-labelledby="check-h">
            <h2 id="check-h">Check and queue</h2>
            {mode !== 'single' && (
              <label className="field" htmlFor="batch-name">
                Batch name (the library folder)
                <input id="batch-name" type="text" value={batchName} onChange={(e) => setBatchName(e.target.value)} placeholder={fileRows?.name ?? 'e.g. Spring campaign'} />
              </label>
            )}
            <div className="row small">
              <label className="row" htmlFor="budget" style={{ gap: 6 }}>
                Spending cap (optional)
                <input id="budget" type="number" min={0} step="any" style={{ width: 90 }} value={budget.amount} onChange={(e) => setBudget({ ...budget, amount: e.target.value })} />
              </label>
              <select aria-label="Spending cap unit" value={budget.unit} onChange={(e) => setBudget({ ...budget, unit: e.target.value as 'USD' | 'credits' })}>
                <option value="USD">USD</option>
                <option value="credits">credits</option>
              </select>
              <span className="muted">No new jobs are sent once the batch would go over it.</span>
            </div>
            {rows.length > 1 && (
              <label className="check">
                <input type="checkbox" checked={testFirst !== null} onChange={(e) => setTestFirst(e.target.checked ? Math.min(3, rows.length) : null)} />
                Render the first
                <input type="number" min={1} max={rows.length} style={{ width: 64 }} value={testFirst ?? 3} disabled={testFirst === null} onChange={(e) => setTestFirst(Math.max(1, Number(e.target.value)))} aria-label="How many to render as a test" />
                as a test, hold the rest
              </label>
            )}
            <div className="row">
              <button className="btn" disabled={!rows.length || checking} onClick={() => void preflight()}>
                {checking ? 'Checking…' : `Check ${rows.length} video${rows.length === 1 ? '' : 's'}`}
              </button>
              <button className="btn primary" disabled={!report?.ok || checking} onClick={() => void admit()}>
                Add {rows.length} to queue
              </button>
            </div>
            {report && <PreflightView report={report} />}
          </section>
        </div>
      </div>
    </div>
  );
}

function PreflightView({ report }: { report: PreflightReport }) {
  const bad = report.rows.filter((r) => r.issues.length);
  return (
    <div className="stack" aria-live="polite">
      <div className="summary">
        <span>
          <span className="big">{report.rows.length}</span> video(s)
        </span>
        <span>
          Estimated cost <span className="big">{moneyList(report.totals)}</span>
          {report.unknownCostRows ? <span className="muted small"> + {report.unknownCostRows} without published prices</span> : null}
        </span>
        <span>
          ≈ <span className="big">{duration(report.durationSec)}</span> of video
        </span>
      </div>
      {report.ok ? (
        <div className="ok-box">Everything checks out. Nothing has been sent or charged yet.</div>
      ) : (
        <div className="error-box">
          {bad.length} row(s) need fixing before anything is queued. Nothing was sent.
        </div>
      )}
      {report.issues.map((i) => (
        <div key={i.message} className="issue">
          {i.field}: {i.message}
        </div>
      ))}
      <div style={{ maxHeight: 320, overflow: 'auto' }}>
        <table className="data">
          <thead>
            <tr>
              <th>Row</th>
              <th>Title</th>
              <th>Provider</th>
              <th>Cost</th>
              <th>Problems</th>
            </tr>
          </thead>
          <tbody>
            {report.rows.slice(0, 500).map((r) => (
              <tr key={r.row} className={r.issues.length ? 'bad' : ''}>
                <td>{r.row}</td>
                <td>{r.title}</td>
                <td>{r.provider}</td>
                <td>{money(r.estimate)}</td>
                <td>
                  {r.issues.map((i, k) => (
                    <div key={k} className="issue">
                      <strong>{i.field}</strong>: {i.message}
                      {i.accepted ? <span className="muted"> — accepted: {i.accepted}</span> : null}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The folder of an absolute file path ('' when the path is empty or has no folder). */
function folderOf(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i > 0 ? file.slice(0, i) : i === 0 ? file.slice(0, 1) : '';
}
