import { app, Menu, nativeImage, Notification, Tray, type BrowserWindow } from 'electron';
import type { Core } from '../core/app-core';
import { trayIconPath, type IconPlace } from './lifecycle';

/**
 * Desktop touches: one notification per finished batch (and on failures), taskbar/dock progress,
 * and a tray icon so the queue keeps running while the window is closed (Settings → close to tray),
 * with a clear Quit.
 */
export function attachDesktop(core: Core, getWindow: () => BrowserWindow | null, showWindow: () => void, quit: () => void, place: IconPlace): Tray | null {
  core.events.on((name, payload) => {
    const win = getWindow();
    if (name === 'notice') {
      const n = payload as { level: string; message: string; batchId?: string };
      const s = core.settings.get().notifications;
      const isBatchEnd = n.batchId !== undefined && /finished/.test(n.message);
      const wanted = (isBatchEnd && s.batchDone) || (n.level !== 'info' && s.failures && !isBatchEnd);
      if (wanted && Notification.isSupported()) {
        const note = new Notification({ title: 'Talkbatch', body: n.message, silent: n.level === 'info' });
        note.on('click', showWindow);
        note.show();
      }
    }
    if (name === 'batches:changed' && win) {
      const all = core.batches.summaries().filter((b) => b.active > 0);
      const total = all.reduce((a, b) => a + b.total, 0);
      const done = all.reduce((a, b) => a + b.completed + b.failed, 0);
      win.setProgressBar(total ? done / total : -1);
      if (process.platform === 'darwin') app.dock?.setBadge(all.length ? String(total - done) : '');
    }
  });
  // A tray icon without an image is invisible: then there is no tray at all, and closing the window quits.
  const image = nativeImage.createFromPath(trayIconPath(place));
  if (image.isEmpty()) {
    core.log.warn('No tray icon image: closing the window will quit', { path: trayIconPath(place) });
    return null;
  }
  try {
    const tray = new Tray(image);
    tray.setToolTip('Talkbatch — the queue keeps running');
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Show Talkbatch', click: showWindow },
        { type: 'separator' },
        { label: 'Quit Talkbatch (unfinished jobs resume next time)', click: quit },
      ]),
    );
    tray.on('click', showWindow);
    return tray;
  } catch {
    return null; // no system tray (some Linux desktops): closing the window then quits
  }
}
