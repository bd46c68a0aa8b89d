import type { Db } from './open';

/** Key → JSON value. Typed access and defaults live in core/settings.ts. */
export class SettingsRepo {
  constructor(private readonly db: Db) {}

  all(): Record<string, unknown> {
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
  }

  set(values: Readonly<Record<string, unknown>>): void {
    const up = this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    const del = this.db.prepare('DELETE FROM settings WHERE key = ?');
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(values)) {
        if (v === undefined || v === null) del.run(k);
        else up.run(k, JSON.stringify(v));
      }
    })();
  }
}
