import { statfsSync } from 'node:fs';

/**
 * Failures of this computer's own storage (a full disk, a read-only or missing folder, a file where the
 * library folder should be), told apart from provider failures: they are nobody's fault at the provider,
 * they are fixed by the user, and nothing should be re-rendered or given up on because of them.
 * Found by the reliability suite (test/integration/reliability/environment.test.ts).
 */

/** errno codes of local file systems; SQLite's own codes (better-sqlite3 SqliteError.code). */
const FS_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EIO', 'ENOENT']);
const SQLITE_CODES = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|PERM)/;

export type StorageKind = 'full' | 'read_only' | 'denied' | 'not_a_folder' | 'missing' | 'io';

export class StorageError extends Error {
  constructor(
    readonly kind: StorageKind,
    /** The folder or file that could not be written. */
    readonly where: string,
    readonly code: string,
    cause?: unknown,
  ) {
    super(`${describe(kind, where)} (${code})`, cause === undefined ? undefined : { cause });
    this.name = 'StorageError';
  }
}

function describe(kind: StorageKind, where: string): string {
  const At = where.charAt(0).toUpperCase() + where.slice(1);
  switch (kind) {
    case 'full':
      return `The disk holding ${where} is full`;
    case 'read_only':
      return `${At} is on a read-only disk`;
    case 'denied':
      return `Talkbatch is not allowed to write to ${where}`;
    case 'not_a_folder':
      return `${At} is not a folder (a file is in its place)`;
    case 'missing':
      return `${At} disappeared while Talkbatch was writing to it`;
    case 'io':
      return `${At} could not be written (the disk reported an input/output error)`;
  }
}

function kindOf(code: string): StorageKind {
  if (code === 'ENOSPC' || code === 'EDQUOT' || code.startsWith('SQLITE_FULL')) return 'full';
  if (code === 'EROFS' || code.startsWith('SQLITE_READONLY')) return 'read_only';
  if (code === 'EACCES' || code === 'EPERM' || code.startsWith('SQLITE_PERM')) return 'denied';
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') return 'not_a_folder';
  if (code === 'ENOENT' || code.startsWith('SQLITE_CANTOPEN')) return 'missing';
  return 'io';
}

/** The storage code in an error or its causes (errno or SQLite), or undefined for anything else. */
export function storageCodeOf(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    if (cur instanceof StorageError) return cur.code;
    const code = (cur as { code?: unknown }).code;
    // errno codes come with a syscall (fs); a network error has codes too (ECONNRESET) but is not storage.
    if (typeof code === 'string' && ((FS_CODES.has(code) && typeof (cur as { syscall?: unknown }).syscall === 'string') || SQLITE_CODES.test(code))) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * `e` as a StorageError about `where` when it is one (or caused by one), else null. With `dir`, an I/O
 * error on a disk with (almost) no space left is reported as a full disk: SQLite says SQLITE_IOERR_SHMSIZE
 * or SQLITE_IOERR_WRITE where the file system said ENOSPC.
 */
export function asStorageError(e: unknown, where: string, dir?: string): StorageError | null {
  if (e instanceof StorageError) return e;
  const code = storageCodeOf(e);
  if (!code) return null;
  let kind = kindOf(code);
  if (kind === 'io' && dir && nearlyFull(dir)) kind = 'full';
  return new StorageError(kind, where, code, e);
}

function nearlyFull(dir: string): boolean {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize < 1024 * 1024;
  } catch {
    return false;
  }
}

/**
 * Runs a write that only saves work for later (a cache, a session token, a reconcile hint): when the disk
 * cannot take it, it is skipped (the caller keeps going) instead of failing what it was part of — above
 * all a create that the provider already accepted. Returns whether it was written.
 */
export function bestEffortWrite(write: () => void, onSkip?: (e: StorageError) => void): boolean {
  try {
    write();
    return true;
  } catch (e) {
    const se = asStorageError(e, 'the data folder');
    if (!se) throw e;
    onSkip?.(se);
    return false;
  }
}
