import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * main.ts as the desktop app runs it, with `electron` mocked (no Electron binary here; issue 19):
 * every start-up failure ends in a dialog with the cause and what to do, then exit(1) — never an
 * unhandled rejection that leaves a windowless process holding the single-instance lock; closing the
 * window hides it only behind a real tray icon the user chose, otherwise the app quits; Windows gets
 * the installer's app user model id.
 */

type Handler = (...a: unknown[]) => unknown;
const h = vi.hoisted(() => ({
  appEvents: new Map<string, Handler>(),
  windows: [] as { handlers: Map<string, Handler>; hidden: boolean }[],
  trays: [] as unknown[],
  trayImageEmpty: false,
  imagePaths: [] as string[],
  ready: Promise.resolve() as Promise<void>,
  quit: vi.fn(),
  exit: vi.fn(),
  errorBox: vi.fn(),
  aumid: vi.fn(),
  ipc: new Map<string, Handler>(),
}));

vi.mock('electron', () => {
  class BrowserWindow {
    private readonly w = { handlers: new Map<string, Handler>(), hidden: false };
    webContents = { on: () => {}, setWindowOpenHandler: () => {}, send: () => {} };
    loadURL = async () => {};
    constructor() {
      h.windows.push(this.w);
    }
    on(ev: string, fn: Handler) {
      this.w.handlers.set(ev, fn);
    }
    once() {}
    show() {}
    hide() {
      this.w.hidden = true;
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    setProgressBar() {}
  }
  class Tray {
    constructor(image: unknown) {
      h.trays.push(image);
    }
    setToolTip() {}
    setContextMenu() {}
    on() {}
  }
  return {
    app: {
      setName: () => {},
      setAppUserModelId: h.aumid,
      requestSingleInstanceLock: () => true,
      whenReady: () => h.ready,
      on: (ev: string, fn: Handler) => void h.appEvents.set(ev, fn),
      quit: h.quit,
      exit: h.exit,
      getPath: () => tmpdir(),
      // `electron .` in the checkout: the app folder is the repository.
      getAppPath: () => path.resolve(__dirname, '..', '..', '..'),
      isPackaged: false,
      dock: undefined,
    },
    dialog: { showErrorBox: h.errorBox },
    ipcMain: { handle: (ch: string, fn: Handler) => void h.ipc.set(ch, fn) },
    session: {
      defaultSession: { setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {}, webRequest: { onHeadersReceived: () => {} } },
    },
    shell: { openExternal: vi.fn(), showItemInFolder: vi.fn() },
    protocol: { registerSchemesAsPrivileged: () => {}, handle: () => {} },
    net: { fetch: vi.fn() },
    BrowserWindow,
    Tray,
    Menu: { buildFromTemplate: () => ({}) },
    nativeImage: {
      createEmpty: () => ({ isEmpty: () => true }),
      createFromPath: (p: string) => (h.imagePaths.push(p), { isEmpty: () => h.trayImageEmpty }),
    },
    Notification: Object.assign(class {}, { isSupported: () => false }),
    safeStorage: {
      getSelectedStorageBackend: () => 'gnome_libsecret',
      isEncryptionAvailable: () => true,
      encryptString: (s: string) => Buffer.from(s, 'utf8').map((x) => x ^ 0x5a),
      decryptString: (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
    },
  };
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tb-shell-'));
  dirs.push(d);
  return d;
}

const unhandled: unknown[] = [];
process.on('unhandledRejection', (e) => void unhandled.push(e));

async function startMain(dir: string): Promise<void> {
  process.env.TALKBATCH_DATA_DIR = dir;
  vi.resetModules();
  h.appEvents.clear();
  h.ipc.clear();
  await import('../../../electron/main');
}

/** Lets whenReady's continuation (and any rejection it causes) run. */
const settle = () => new Promise((r) => setTimeout(r, 50));

async function quitMain(): Promise<void> {
  h.appEvents.get('before-quit')?.({ preventDefault: () => {} });
  await vi.waitFor(() => expect(h.exit).toHaveBeenCalled());
}

beforeEach(() => {
  h.windows.length = 0;
  h.trays.length = 0;
  h.imagePaths.length = 0;
  h.trayImageEmpty = false;
  h.ready = Promise.resolve();
  h.quit.mockClear();
  h.exit.mockClear();
  h.errorBox.mockClear();
  h.aumid.mockClear();
  unhandled.length = 0;
});

describe('start-up failures reach a dialog, then the app quits (issue 19 item 2)', () => {
  it('a damaged database: the dialog names it and says what to do; no unhandled rejection', async () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, 'talkbatch.db'), 'this is not a database, it is a damaged file '.repeat(200));
    await startMain(dir);
    await settle();
    expect(unhandled).toEqual([]);
    expect(h.errorBox).toHaveBeenCalledTimes(1);
    const [title, message] = h.errorBox.mock.calls[0] as [string, string];
    expect(title).toBe('Talkbatch cannot start');
    expect(message).toContain(`The database ${path.join(dir, 'talkbatch.db')} is damaged (SQLITE_NOTADB)`);
    expect(message).toContain('move talkbatch.db');
    expect(h.exit).toHaveBeenCalledWith(1);
    expect(h.windows).toHaveLength(0);
  });

  it('a database module built for another runtime (or missing): the dialog gives the command that fixes it', async () => {
    const dir = dataDir();
    // As under Electron: main asks for the binding prepared for its version, which is not there.
    Object.defineProperty(process.versions, 'electron', { value: '45.4.1', configurable: true, enumerable: true });
    try {
      await startMain(dir);
      await settle();
    } finally {
      delete (process.versions as Record<string, string>).electron;
    }
    expect(unhandled).toEqual([]);
    const [, message] = h.errorBox.mock.calls[0] as [string, string];
    expect(message).toContain('The database module (better-sqlite3) is not built for this version of Electron.');
    expect(message).toContain('npm run native:electron');
    expect(h.exit).toHaveBeenCalledWith(1);
  });

  it('a data folder that cannot be written: the dialog names the folder and the fix', async () => {
    const parent = dataDir();
    const blocked = path.join(parent, 'not-a-folder');
    writeFileSync(blocked, 'a file where the data folder should be');
    await startMain(path.join(blocked, 'Talkbatch'));
    await settle();
    expect(unhandled).toEqual([]);
    const [, message] = h.errorBox.mock.calls[0] as [string, string];
    expect(message).toContain(path.join(blocked, 'Talkbatch'));
    expect(h.exit).toHaveBeenCalledWith(1);
  });
});

describe('closing the window (issue 19 item 6)', () => {
  const closeWindow = () => {
    let prevented = false;
    h.windows[0]!.handlers.get('close')!({ preventDefault: () => (prevented = true) });
    return prevented;
  };

  it('loads a real tray image from build/tray, and with "close to tray" on, closing hides the window', async () => {
    await startMain(dataDir());
    await vi.waitFor(() => expect(h.windows).toHaveLength(1));
    try {
      expect(h.trays).toHaveLength(1);
      const trayImage = h.imagePaths.find((p) => /tray/i.test(path.basename(p)))!;
      expect(path.dirname(trayImage)).toBe(path.resolve(__dirname, '..', '..', '..', 'build', 'tray'));
      expect(closeWindow()).toBe(true);
      expect(h.windows[0]!.hidden).toBe(true);
    } finally {
      await quitMain();
    }
  });

  it('with "close to tray" off, closing the last window quits', async () => {
    const dir = dataDir();
    await startMain(dir);
    await vi.waitFor(() => expect(h.ipc.size).toBeGreaterThan(0));
    try {
      const main = { url: 'app://talkbatch/index.html' };
      const saved = (await h.ipc.get('settings:set')!({ senderFrame: main, sender: { mainFrame: main } }, { patch: { closeToTray: false } })) as { ok: boolean };
      expect(saved.ok).toBe(true);
      expect(closeWindow()).toBe(false);
      h.appEvents.get('window-all-closed')!();
      expect(h.quit).toHaveBeenCalled();
    } finally {
      await quitMain();
    }
  });

  it('without a tray image there is no (invisible) tray: closing quits even with "close to tray" on', async () => {
    h.trayImageEmpty = true;
    await startMain(dataDir());
    await vi.waitFor(() => expect(h.windows).toHaveLength(1));
    try {
      expect(h.trays).toHaveLength(0);
      expect(closeWindow()).toBe(false);
      h.appEvents.get('window-all-closed')!();
      expect(h.quit).toHaveBeenCalled();
    } finally {
      await quitMain();
    }
  });
});

describe('keys saved in server mode, then the desktop app (issue 19 item 5)', () => {
  it('are read, moved into the keychain at the first desktop start, and Settings says so', async () => {
    const dir = dataDir();
    const KEY = 'sk-sync-CANARY-server-then-desktop';
    const { openCore } = await import('../../../electron/core/app-core');
    const { fileKeyCipher } = await import('../../../electron/core/secrets/cipher');
    const server = openCore({ dataDir: dir, mode: 'server', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: true });
    server.vault.set('sync', 'Work', { apiKey: KEY });
    await server.close();

    await startMain(dir);
    await vi.waitFor(() => expect(h.ipc.size).toBeGreaterThan(0));
    try {
      const main = { url: 'app://talkbatch/index.html' };
      const ev = { senderFrame: main, sender: { mainFrame: main } };
      const got = (await h.ipc.get('settings:get')!(ev, {})) as { ok: boolean; value: { vault: { notice?: string } } };
      expect(got.value.vault.notice).toBe(
        '1 saved key from server mode moved into your system keychain at this start. Server mode and the CLI cannot read keys kept there: give them keys through environment variables, or save the keys there again.',
      );
      expect(JSON.stringify(got)).not.toContain(KEY);
    } finally {
      await quitMain();
    }
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(dir, 'talkbatch.db'), { readonly: true });
    const row = db.prepare("SELECT blob, scheme FROM credentials WHERE provider = 'sync'").get() as { blob: Buffer; scheme: string };
    db.close();
    expect(row.scheme).toBe('safeStorage:gnome_libsecret');
    // What the (mocked) keychain gives back is the key: the desktop app's jobs can use it.
    expect(JSON.parse(Buffer.from(row.blob.map((x) => x ^ 0x5a)).toString('utf8'))).toEqual({ apiKey: KEY });
  });
});

describe('Windows notifications (issue 19 item 9)', () => {
  it('sets the app user model id to the installer appId on Windows', async () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    Object.defineProperty(process, 'platform', { value: 'win32' });
    h.ready = new Promise(() => {}); // only the module's top level runs
    try {
      const dir = dataDir();
      mkdirSync(dir, { recursive: true });
      await startMain(dir);
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
    expect(h.aumid).toHaveBeenCalledWith('app.talkbatch.desktop');
  });
});
