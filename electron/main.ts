// Security defaults first (DESIGN.md rule 8): every decision lives in ./security and is unit-tested.
import { isTrustedSender } from './security';
import type { BrowserWindow } from 'electron';
import { app, dialog, ipcMain, session, shell } from 'electron';
import path from 'node:path';
import { CHANNEL_NAMES, EVENT_CHANNEL } from '../shared/contract';
import { openCore, type Core } from './core/app-core';
import { createHandlers, dispatch } from './core/handlers';
import { nativeBindingFor } from './core/db/native-binding';
import { safeStorageCipher } from './core/secrets/safe-storage';
import { attachDesktop } from './shell/desktop';
import { APP_USER_MODEL_ID, hideOnClose, quitWhenAllClosed, windowIconPath, type IconPlace } from './shell/lifecycle';
import { handleProtocols, registerSchemes } from './shell/protocols';
import { explainStartupFailure } from './shell/startup';
import { createMainWindow, hardenSession } from './shell/window';
import { VERSION } from './version';

/**
 * Main is a router (DESIGN.md rule 4): windows, protocols, IPC wiring. Everything else is the core,
 * which runs the same in server mode and the CLI.
 */
app.setName('Talkbatch');
// Windows shows toasts only for an app whose user model id matches its Start-menu shortcut (the installer's appId).
if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
const dataDirArg = process.argv.find((a) => a.startsWith('--data-dir='))?.slice('--data-dir='.length);
const dataDir = dataDirArg ?? process.env.TALKBATCH_DATA_DIR ?? app.getPath('userData');
// The app folder: the checkout for `electron .`, app.asar in a package.
const place: IconPlace = { isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appRoot: app.getAppPath(), platform: process.platform };

if (!app.requestSingleInstanceLock()) {
  // A second instance hands over to the first (which focuses its window) and exits.
  app.quit();
} else {
  registerSchemes();
  let core: Core | null = null;
  let win: BrowserWindow | null = null;
  let quitting = false;
  let tray: ReturnType<typeof attachDesktop> = null;
  const closeState = () => ({ quitting, closeToTray: core?.settings.get().closeToTray ?? false, trayShown: tray !== null });

  const showWindow = () => {
    if (!win || win.isDestroyed()) win = createWindow();
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  const createWindow = () => {
    const w = createMainWindow(path.join(__dirname, 'preload.cjs'), windowIconPath(place));
    w.on('close', (e) => {
      if (hideOnClose(closeState())) {
        e.preventDefault();
        w.hide();
      }
    });
    return w;
  };
  const quit = () => {
    quitting = true;
    app.quit();
  };
  /** Any start-up failure: a dialog with the cause and what to do, then the process ends (and the lock with it). */
  const fail = (e: unknown) => {
    const f = explainStartupFailure(e, dataDir);
    try {
      core?.log.error('Start-up failed', { error: String((e as Error)?.stack ?? e) });
    } catch {
      // the log itself may be what failed
    }
    dialog.showErrorBox(f.title, f.message);
    app.exit(1);
  };

  const start = () => {
    const nativeBinding = nativeBindingFor({ ...place, electronVersion: process.versions.electron, arch: process.arch });
    core = openCore({ dataDir, mode: 'electron', cipher: () => safeStorageCipher(), env: process.env, credentialsFromEnv: false, ...(nativeBinding ? { nativeBinding } : {}) });
    const c = core;
    hardenSession(session.defaultSession);
    handleProtocols(path.join(__dirname, '..', 'renderer'), () => c.library.dir);
    const handlers = createHandlers(c, { version: VERSION, mode: 'electron', reveal: (file) => (shell.showItemInFolder(file), true) });
    for (const channel of CHANNEL_NAMES) {
      ipcMain.handle(channel, async (event, input: unknown) => {
        if (!isTrustedSender(event.senderFrame?.url, event.senderFrame === event.sender.mainFrame)) {
          return { ok: false, error: { code: 'forbidden', message: 'Refused: not the Talkbatch window' } };
        }
        return await dispatch(handlers, channel, input, c.log.error);
      });
    }
    c.events.on((name, payload) => {
      if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, name, payload);
    });
    win = createWindow();
    tray = attachDesktop(c, () => win, showWindow, quit, place);
    c.engine.start();
  };

  app.on('second-instance', showWindow);
  // One chain: a throw inside start() lands in fail(), not in an unhandled rejection.
  app
    .whenReady()
    .then(start)
    .catch(fail);

  app.on('activate', showWindow);
  app.on('window-all-closed', () => {
    if (quitWhenAllClosed(closeState())) quit();
  });
  app.on('before-quit', (e) => {
    quitting = true;
    if (core) {
      e.preventDefault();
      const c = core;
      core = null;
      void c.close().finally(() => app.exit(0));
    }
  });
}
