import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES } from '../../../shared/contract';

/**
 * The Electron checklist items that only the desktop shell can show, with `electron` mocked (its
 * binary cannot be installed here): main.ts refuses IPC from anything but our own top-level app://
 * frame, a second instance hands over and quits, and safeStorage without a secure backend (Linux
 * `basic_text`) is reported as such in Settings, while keys never reach SQLite in plain text.
 */

type IpcHandler = (event: unknown, input: unknown) => Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>;

const h = vi.hoisted(() => ({
  singleInstance: true,
  backend: 'gnome_libsecret',
  ipc: new Map<string, IpcHandler>(),
  appEvents: new Map<string, (...a: unknown[]) => unknown>(),
  quit: vi.fn(),
  exit: vi.fn(),
  errorBox: vi.fn(),
}));

// A reversible stand-in for the OS keychain: nothing it returns contains the plain text.
const xor = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));

vi.mock('electron', () => {
  class BrowserWindow {
    webContents = { on: () => {}, setWindowOpenHandler: () => {}, send: () => {} };
    loadURL = async () => {};
    on() {}
    once() {}
    show() {}
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
  }
  class Tray {
    setToolTip() {}
    setContextMenu() {}
    on() {}
  }
  return {
    app: {
      setName: () => {},
      requestSingleInstanceLock: () => h.singleInstance,
      whenReady: () => Promise.resolve(),
      on: (ev: string, fn: (...a: unknown[]) => unknown) => void h.appEvents.set(ev, fn),
      quit: h.quit,
      exit: h.exit,
      getPath: () => tmpdir(),
      getAppPath: () => path.resolve(__dirname, '..', '..', '..'),
      isPackaged: false,
      dock: undefined,
    },
    dialog: { showErrorBox: h.errorBox },
    ipcMain: { handle: (ch: string, fn: IpcHandler) => void h.ipc.set(ch, fn) },
    session: {
      defaultSession: { setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {}, webRequest: { onHeadersReceived: () => {} } },
    },
    shell: { openExternal: vi.fn(), showItemInFolder: vi.fn() },
    protocol: { registerSchemesAsPrivileged: () => {}, handle: () => {} },
    net: { fetch: vi.fn() },
    BrowserWindow,
    Tray,
    Menu: { buildFromTemplate: () => ({}) },
    nativeImage: { createEmpty: () => ({ isEmpty: () => true }), createFromPath: () => ({ isEmpty: () => false }) },
    Notification: Object.assign(class {}, { isSupported: () => false }),
    safeStorage: {
      getSelectedStorageBackend: () => h.backend,
      isEncryptionAvailable: () => true,
      encryptString: (s: string) => xor(Buffer.from(s, 'utf8')),
      decryptString: (b: Buffer) => xor(b).toString('utf8'),
    },
  };
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startMain(): Promise<string> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tb-main-'));
  dirs.push(dataDir);
  process.env.TALKBATCH_DATA_DIR = dataDir;
  vi.resetModules();
  h.ipc.clear();
  h.appEvents.clear();
  await import('../../../electron/main');
  // whenReady() resolved: wait for its continuation (the handlers are registered there).
  await vi.waitFor(() => expect(h.ipc.size).toBeGreaterThan(0));
  return dataDir;
}

/** Quits the app as the user would (before-quit closes the core and releases the lock). */
async function quitMain(): Promise<void> {
  h.appEvents.get('before-quit')?.({ preventDefault: () => {} });
  await vi.waitFor(() => expect(h.exit).toHaveBeenCalled());
}

const frame = (url: string) => ({ url });

beforeEach(() => {
  h.singleInstance = true;
  h.backend = 'gnome_libsecret';
  h.quit.mockClear();
  h.exit.mockClear();
});

describe('main.ts IPC', () => {
  it('registers exactly the contract channels and serves only our own top-level app:// frame', async () => {
    await startMain();
    try {
      expect([...h.ipc.keys()].sort()).toEqual([...CHANNEL_NAMES].sort());
      const info = h.ipc.get('app:info')!;
      const main = frame('app://talkbatch/index.html');
      expect(await info({ senderFrame: main, sender: { mainFrame: main } }, {})).toMatchObject({ ok: true, value: { mode: 'electron' } });

      const refused = { ok: false, error: { code: 'forbidden', message: 'Refused: not the Talkbatch window' } };
      const evil = frame('https://evil.example/');
      // Another site in the window, a frame inside our page (the Creatify preview), a lookalike origin, no frame at all.
      expect(await info({ senderFrame: evil, sender: { mainFrame: evil } }, {})).toEqual(refused);
      expect(await info({ senderFrame: frame('app://talkbatch/index.html'), sender: { mainFrame: main } }, {})).toEqual(refused);
      const creatify = frame('https://app.creatify.ai/preview');
      expect(await info({ senderFrame: creatify, sender: { mainFrame: main } }, {})).toEqual(refused);
      const lookalike = frame('app://talkbatch.evil/index.html');
      expect(await info({ senderFrame: lookalike, sender: { mainFrame: lookalike } }, {})).toEqual(refused);
      expect(await info({ senderFrame: null, sender: { mainFrame: main } }, {})).toEqual(refused);
      // A refused call never reaches a handler: a key cannot be saved from a foreign frame.
      const set = h.ipc.get('credentials:set')!;
      expect(await set({ senderFrame: evil, sender: { mainFrame: evil } }, { provider: 'sync', label: 'x', values: { apiKey: 'sk-CANARY-from-evil-frame' } })).toEqual(refused);
      expect(await h.ipc.get('credentials:list')!({ senderFrame: main, sender: { mainFrame: main } }, {})).toEqual({ ok: true, value: [] });
    } finally {
      await quitMain();
    }
  });

  it('a second instance hands over to the first and quits without opening the data folder', async () => {
    h.singleInstance = false;
    const dataDir = await (async () => {
      const d = mkdtempSync(path.join(tmpdir(), 'tb-main-second-'));
      dirs.push(d);
      process.env.TALKBATCH_DATA_DIR = d;
      vi.resetModules();
      h.ipc.clear();
      await import('../../../electron/main');
      return d;
    })();
    expect(h.quit).toHaveBeenCalled();
    expect(h.ipc.size).toBe(0);
    expect(readdirSync(dataDir)).toEqual([]);
  });
});

describe('safeStorage and Settings', () => {
  it('Linux basic_text: not secure, and Settings says the keys are only obfuscated', async () => {
    h.backend = 'basic_text';
    const { safeStorageCipher } = await import('../../../electron/core/secrets/safe-storage');
    // The backend is asked only on Linux (elsewhere safeStorage always uses the OS store).
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    Object.defineProperty(process, 'platform', { value: 'linux' });
    let c;
    try {
      c = safeStorageCipher();
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
    expect(c).toMatchObject({
      scheme: 'safeStorage:basic_text',
      secure: false,
      description:
        'No secure keychain was found on this system (Linux “basic_text”): API keys are only obfuscated. Install and unlock a secret service (GNOME Keyring or KWallet) to protect them.',
    });
    if (process.platform !== 'linux') return;
    await startMain();
    try {
      const main = frame('app://talkbatch/index.html');
      const ev = { senderFrame: main, sender: { mainFrame: main } };
      const settings = await h.ipc.get('settings:get')!(ev, {});
      expect(settings).toMatchObject({ ok: true, value: { vault: { secure: false, description: expect.stringContaining('basic_text') } } });
    } finally {
      await quitMain();
    }
  });

  it('with a keychain: secure, and a saved key never reaches the database files in plain text', async () => {
    h.backend = 'gnome_libsecret';
    const dataDir = await startMain();
    const KEY = 'sk-sync-CANARY-desktop-5e6f7a8b9c';
    try {
      const main = frame('app://talkbatch/index.html');
      const ev = { senderFrame: main, sender: { mainFrame: main } };
      expect(await h.ipc.get('settings:get')!(ev, {})).toMatchObject({ ok: true, value: { vault: { secure: true, description: 'API keys are encrypted by your operating system’s keychain.' } } });
      const saved = await h.ipc.get('credentials:set')!(ev, { provider: 'sync', label: 'Work', values: { apiKey: KEY } });
      expect(saved).toMatchObject({ ok: true, value: { hints: { apiKey: '••••8b9c' } } });
      expect(JSON.stringify(saved)).not.toContain(KEY);
      expect(JSON.stringify(await h.ipc.get('credentials:list')!(ev, {}))).not.toContain(KEY);
    } finally {
      await quitMain();
    }
    for (const f of readdirSync(dataDir).filter((x) => x.startsWith('talkbatch.db'))) {
      expect(readFileSync(path.join(dataDir, f)).includes(Buffer.from('CANARY')), f).toBe(false);
    }
  });
});
