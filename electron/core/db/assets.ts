import type { AssetInfo, AssetKind } from '../../../shared/model';
import type { Db } from './open';

type Row = { id: string; name: string; mime: string; kind: string; size: number; width: number | null; height: number | null; duration_sec: number | null };

export class AssetRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: string): AssetInfo | undefined {
    const r = this.db.prepare('SELECT * FROM assets WHERE id = ?').get(id) as Row | undefined;
    if (!r) return undefined;
    return {
      id: r.id,
      name: r.name,
      mime: r.mime,
      kind: r.kind as AssetKind,
      size: r.size,
      ...(r.width !== null ? { width: r.width } : {}),
      ...(r.height !== null ? { height: r.height } : {}),
      ...(r.duration_sec !== null ? { durationSec: r.duration_sec } : {}),
    };
  }

  /** Same bytes → same id: a second import of the file only updates nothing. */
  put(a: AssetInfo): void {
    this.db
      .prepare(
        `INSERT INTO assets (id, name, mime, kind, size, width, height, duration_sec, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO NOTHING`,
      )
      .run(a.id, a.name, a.mime, a.kind, a.size, a.width ?? null, a.height ?? null, a.durationSec ?? null, this.now());
  }

  upload(assetId: string, target: string): string | undefined {
    const r = this.db.prepare('SELECT value FROM asset_uploads WHERE asset_id = ? AND target = ?').get(assetId, target) as { value: string } | undefined;
    return r?.value;
  }

  rememberUpload(assetId: string, target: string, value: string): void {
    this.db
      .prepare('INSERT INTO asset_uploads (asset_id, target, value, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(asset_id, target) DO UPDATE SET value = excluded.value')
      .run(assetId, target, value, this.now());
  }
}
