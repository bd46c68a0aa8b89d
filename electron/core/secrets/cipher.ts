import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, constants, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * How secrets are encrypted before they reach SQLite. In Electron: the OS keychain through
 * safeStorage (./safe-storage.ts, the only secrets file that imports electron). In server and CLI
 * mode: AES-256-GCM with a random key kept in a 0600 file in the data folder, so the database
 * alone never holds a key in plain text.
 */
export interface Cipher {
  readonly scheme: string;
  /** False when the OS offers no secure store (Linux `basic_text`) or a key file is used. */
  readonly secure: boolean;
  /** One sentence for Settings: where keys are protected, and how well. */
  readonly description: string;
  encrypt(plain: string): Buffer;
  decrypt(blob: Buffer): string;
}

function createExclusive(from: string, to: string): void {
  try {
    copyFileSync(from, to, constants.COPYFILE_EXCL);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/** The stored scheme of keys encrypted with the data folder's vault.key (server and CLI mode). */
export const FILE_KEY_SCHEME = 'aes-256-gcm-file';

/** The vault.key cipher if the data folder has a key file, without creating one (the desktop app reading server-mode keys). */
export function existingFileKeyCipher(dataDir: string): Cipher | null {
  return existsSync(path.join(dataDir, 'vault.key')) ? fileKeyCipher(dataDir) : null;
}

export function fileKeyCipher(dataDir: string): Cipher {
  const keyFile = path.join(dataDir, 'vault.key');
  if (!existsSync(keyFile)) {
    // Written whole to a temp file, then linked into place: link() fails if the name exists, so of two
    // processes starting at once exactly one key wins, and nobody ever reads a half-written key.
    mkdirSync(dataDir, { recursive: true });
    const tmp = `${keyFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(tmp, keyFile);
    } catch (e) {
      // A file system without hard links (EPERM, ENOTSUP): an exclusive copy instead.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') createExclusive(tmp, keyFile);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
  try {
    chmodSync(keyFile, 0o600);
  } catch {
    // Windows has no POSIX modes; the file lives in the user's profile.
  }
  if (key.length !== 32) throw new Error(`${keyFile} is not a Talkbatch vault key (remove it to start over; saved keys will need to be entered again)`);
  return {
    scheme: FILE_KEY_SCHEME,
    secure: false,
    description: `API keys are encrypted with a key file only your user can read (${keyFile}); no OS keychain is used in server or CLI mode.`,
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([Buffer.from('TB1'), iv, c.getAuthTag(), body]);
    },
    decrypt(blob) {
      if (blob.subarray(0, 3).toString() !== 'TB1') throw new Error('Unknown secret format');
      const iv = blob.subarray(3, 15);
      const tag = blob.subarray(15, 31);
      const d = createDecipheriv('aes-256-gcm', key, iv);
      d.setAuthTag(tag);
      return Buffer.concat([d.update(blob.subarray(31)), d.final()]).toString('utf8');
    },
  };
}
