import { useEffect, useRef, useState } from 'react';
import type { AssetInfo } from '../../../shared/model';
import { bytes, duration } from '../format';
import { transport } from '../store';

export type DroppedAsset = Readonly<{ asset: AssetInfo; previewUrl: string; peaks: number[] | null }>;

const ACCEPT = ['.png', '.jpg', '.jpeg', '.webp', '.wav', '.mp3', '.m4a', '.aac', '.ogg', '.flac', '.mp4', '.mov', '.webm', '.avi'];

/** Drag-and-drop (several files at once) or pick files; each is checked and stored by the core. */
export function FileDrop({ assets, onAdd, onRemove, selected, onSelect }: {
  assets: readonly DroppedAsset[];
  onAdd: (a: DroppedAsset[]) => void;
  onRemove: (id: string) => void;
  selected: ReadonlySet<string>;
  onSelect: (id: string) => void;
}) {
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [rejects, setRejects] = useState<string[]>([]);
  const input = useRef<HTMLInputElement>(null);

  const take = async (files: File[]) => {
    if (!files.length) return;
    setBusy(true);
    const bad: string[] = [];
    const ok = files.filter((f) => {
      const ext = `.${f.name.split('.').pop()?.toLowerCase() ?? ''}`;
      if (!ACCEPT.includes(ext)) bad.push(`${f.name}: ${ext} files are not supported (use images, audio or video: ${ACCEPT.join(' ')})`);
      return ACCEPT.includes(ext);
    });
    const results = await transport.importFiles(ok);
    const added: DroppedAsset[] = [];
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      const f = ok[i]!;
      if ('error' in r) bad.push(`${r.name}: ${r.error}${r.accepted ? ` (accepted: ${r.accepted})` : ''}`);
      else added.push({ asset: r.asset, previewUrl: URL.createObjectURL(f), peaks: r.asset.kind === 'audio' ? await peaksOf(f) : null });
    }
    setRejects(bad);
    onAdd(added);
    setBusy(false);
  };

  return (
    <div className="stack">
      <div
        className={`drop${over ? ' over' : ''}`}
        role="button"
        tabIndex={0}
        onClick={() => input.current?.click()}
        onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && input.current?.click()}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void take([...e.dataTransfer.files]);
        }}
      >
        <div style={{ fontSize: 22 }} aria-hidden>
          ⇪
        </div>
        <div>
          <strong>{busy ? 'Checking files…' : 'Drop avatar photos, videos and voice audio here'}</strong>
        </div>
        <div className="small">or click to choose · PNG JPG WebP · WAV MP3 M4A · MP4 MOV WebM</div>
        <input ref={input} type="file" multiple hidden accept={ACCEPT.join(',')} data-testid="file-input" onChange={(e) => void take([...(e.target.files ?? [])])} />
      </div>
      {rejects.length > 0 && (
        <ul className="rejects" aria-live="polite">
          {rejects.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      {assets.length > 0 && (
        <div className="files">
          {assets.map((d) => (
            <div key={d.asset.id} className={`file-card${selected.has(d.asset.id) ? ' selected' : ''}`}>
              <button className="icon-btn remove" aria-label={`Remove ${d.asset.name}`} onClick={() => onRemove(d.asset.id)}>
                ×
              </button>
              <button className="icon-btn" style={{ padding: 0, textAlign: 'left' }} onClick={() => onSelect(d.asset.id)} aria-pressed={selected.has(d.asset.id)} aria-label={`Use ${d.asset.name}`}>
                {d.asset.kind === 'image' ? <img src={d.previewUrl} alt="" /> : d.asset.kind === 'video' ? <video src={d.previewUrl} muted /> : <Wave peaks={d.peaks} />}
              </button>
              <span className="name" title={d.asset.name}>
                {d.asset.name}
              </span>
              <span className="muted tiny">
                {d.asset.kind} · {d.asset.width && d.asset.height ? `${d.asset.width}×${d.asset.height} · ` : ''}
                {d.asset.durationSec ? `${duration(d.asset.durationSec)} · ` : ''}
                {bytes(d.asset.size)}
              </span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

function Wave({ peaks }: { peaks: number[] | null }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx || !peaks) return;
    const w = (c.width = 300);
    const h = (c.height = 80);
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = getComputedStyle(c).color || '#3a5ccc';
    const bw = w / peaks.length;
    peaks.forEach((p, i) => {
      const bh = Math.max(2, p * h * 0.9);
      ctx.fillRect(i * bw, (h - bh) / 2, Math.max(1, bw - 1), bh);
    });
  }, [peaks]);
  return <canvas ref={ref} className="wave" style={{ color: 'var(--accent)', height: 90 }} aria-label="Waveform" role="img" />;
}

async function peaksOf(f: File): Promise<number[] | null> {
  try {
    const ctx = new OfflineAudioContext(1, 1, 44100);
    const buf = await ctx.decodeAudioData(await f.arrayBuffer());
    const data = buf.getChannelData(0);
    const n = 60;
    const step = Math.max(1, Math.floor(data.length / n));
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (let j = i * step; j < Math.min(data.length, (i + 1) * step); j += 16) m = Math.max(m, Math.abs(data[j] ?? 0));
      out.push(m);
    }
    const max = Math.max(...out, 0.01);
    return out.map((v) => v / max);
  } catch {
    return null;
  }
}
