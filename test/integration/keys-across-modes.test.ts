import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCore } from '../../electron/core/app-core';
import { fileKeyCipher, type Cipher } from '../../electron/core/secrets/cipher';

/**
 * Issue 19 item 5, the reverse direction: a key the desktop app saved in the system keychain cannot be
 * read by server mode. Its jobs are held with that reason (never sent with no key, never stuck half-sent),
 * and the reason says what to do.
 */

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
const root = mkdtempSync(path.join(tmpdir(), 'tb-keys-modes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What the desktop app's safeStorage cipher writes (its bytes are the keychain's business). */
const desktopKeychain: Cipher = {
  scheme: 'safeStorage:gnome_libsecret',
  secure: true,
  description: 'keychain',
  encrypt: (plain) => Buffer.concat([Buffer.from('v11'), Buffer.from(plain, 'utf8').map((x) => x ^ 0x33)]),
  decrypt: () => {
    throw new Error('not in this process');
  },
};

describe('a desktop-app key in server mode', () => {
  it('holds the provider’s jobs with the reason and what to do', async () => {
    const dataDir = path.join(root, 'data');
    const desktop = openCore({ dataDir, mode: 'cli', cipher: () => desktopKeychain, env: {}, credentialsFromEnv: false });
    desktop.vault.set('sync', 'Work', { apiKey: 'sk-sync-CANARY-desktop-only' });
    await desktop.close();

    const server = openCore({ dataDir, mode: 'server', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: true, engine: { idleMs: 20 } });
    try {
      const notices: string[] = [];
      server.events.on((name, payload) => {
        if (name === 'notice') notices.push((payload as { message: string }).message);
      });
      const { jobIds } = await server.admission.admit({
        name: 'Held',
        rows: [{ title: 'Lipsync', provider: 'sync', video: path.join(FIXTURES, 'sample.mp4'), audio: path.join(FIXTURES, 'voice.wav') }],
      });
      server.engine.start();
      const want =
        'Jobs for Sync.so are waiting: The Sync.so key “Work” was saved by the desktop app in the system keychain, which server mode and the CLI cannot read. Save the key again in Settings → Keys or set TALKBATCH_SYNC_API_KEY.';
      await expect.poll(() => notices, { timeout: 10_000 }).toContain(want);
      expect(server.jobs.get(jobIds[0]!)?.status).toBe('queued');
      expect(notices.join('\n')).not.toContain('CANARY');
    } finally {
      await server.close();
    }
  });
});
