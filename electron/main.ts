// Security defaults first (DESIGN.md rule 8): every decision lives in ./security and is unit-tested.
import { isTrustedSender } from './security';
import type { BrowserWindow} from 'electron';
import { app, dialog, ipcMain, session, shell } from 'electron';
import path from 'node:path';
import { CHANNEL_NAMES, EVENT_CHANNEL } from '../shared/contract';
import { openCore, type Core } from './core/app-core';
import { DataDirLockedError } from './core/data-dir';
import { createHandlers, dispatch } from './core/handlers';
import { NewerDatabaseError } from './core/db/migrate';
import { safeStorageCipher } from './core/secrets/safe-storage';
import { attachDesktop } from './shell/desktop';
import { handleProtocols, registerSchemes } from './shell/protocols';
import { createMainWindow, hardenSession } from './shell/window';
import { VERSION } from './version';

/**
 * Main is a router (DESIGN.md rule 4): windows, protocols, IPC wiring. Everything else is the core,
 * which runs the same in server mode and the CLI.
 */
app.setName('Talkbatch');
const dataDirArg = process.argv.find((a) => a.startsWith('--data-dir='))?.slice('--data-dir='.length);
const dataDir = dataDirArg ?? process.env.TALKBATCH_DATA_DIR ?? app.getPath('userData');

if (!app.requestSingleInstanceLock()) {
  // A second instance hands over to the first (which focuses its window) and exits.
  app.quit();
} else {
  registerSchemes();
  let core: Core | null = null;
  let win: BrowserWindow | null = null;
  let quitting = false;

  const showWindow = () => {
    if (!win || win.isDestroyed()) win = createWindow();
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  const createWindow = () => {
    const w = createMainWindow(path.join(__dirname, 'preload.cjs'));
    w.on('close', (e) => {
      if (!quitting && core?.settings.get().closeToTray && tray) {
        e.preventDefault();
        w.hide();
      }
    });
    return w;
  };
  let tray: ReturnType<typeof attachDesktop> = null;
  const quit = () => {
    quitting = true;
    app.quit();
  };

  app.on('second-instance', showWindow);

  app.whenReady().then(
    () => {
      try {
        core = openCore({ dataDir, mode: 'electron', cipher: () => safeStorageCipher(), env: process.env, credentialsFromEnv: false });
      } catch (e) {
        if (e instanceof DataDirLockedError || e instanceof NewerDatabaseError) {
          dialog.showErrorBox('Talkbatch cannot start', e.message);
          app.exit(1);
          return;
        }
        throw e;
      }
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
      tray = attachDesktop(c, () => win, showWindow, quit);
      c.engine.start();
    },
    (e: unknown) => {
      dialog.showErrorBox('Talkbatch failed to start', String((e as Error)?.message ?? e));
      app.exit(1);
    },
  );

  app.on('activate', showWindow);
  app.on('window-all-closed', () => {
    // With a tray the queue keeps running; without one, closing the last window quits.
    if (!tray || quitting) app.quit();
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
