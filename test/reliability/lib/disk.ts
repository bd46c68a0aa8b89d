import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../../../electron/core/db/open';

/**
 * A disk that fills up. Where the test may mount file systems (root with CAP_SYS_ADMIN, as in CI
 * containers), a real 24 MiB tmpfs holds the data folder and is filled to ENOSPC with a filler file:
 * SQLite gets SQLITE_FULL, downloads get ENOSPC, logs cannot be written — the real thing. Elsewhere
 * the fallback is SQLite's own limit (PRAGMA max_page_count on the core's connection): only database
 * writes fail (SQLITE_FULL), the rest of the disk keeps working. `kind` says which one ran.
 */
export type SmallDisk = Readonly<{
  kind: 'tmpfs' | 'max_page_count';
  /** Where to put the data folder. */
  root: string;
  /** Fills it (for max_page_count: caps the database at its current size). */
  fill: (db?: Db) => void;
  /** Makes room again. */
  free: (db?: Db) => void;
  dispose: () => void;
}>;

export function smallDisk(dir: string, sizeMiB = 24): SmallDisk {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    return {
      kind: 'max_page_count',
      root: dir,
      fill: (db) => {
        const pages = db!.pragma('page_count', { simple: true }) as number;
        db!.pragma(`max_page_count = ${pages}`);
      },
      free: (db) => void db!.pragma('max_page_count = 1073741823'),
      dispose: () => {},
    };
  }
  const filler = path.join(dir, 'filler.bin');
  mkdirSync(path.join(dir, 'disk'));
  return {
    kind: 'tmpfs',
    root: path.join(dir, 'disk'),
    fill: () => {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(256 * 1024);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        // The last partial chunk: fill the remaining bytes too.
        for (let n = 64 * 1024; n >= 512; n /= 2) {
          try {
            for (;;) writeSync(fd, chunk.subarray(0, n));
          } catch {
            // next, smaller
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free: () => rmSync(filler, { force: true }),
    dispose: () => {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      } catch {
        // already gone
      }
    },
  };
}
