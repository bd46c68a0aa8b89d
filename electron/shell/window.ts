import { BrowserWindow, shell, type Session } from 'electron';
import { allowPermission, APP_ORIGIN, CSP, isAllowedNavigation, isSafeExternalUrl, secureWebPreferences } from '../security';

/** The main window with every security decision of electron/security.ts applied. */
export function createMainWindow(preload: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Talkbatch',
    backgroundColor: '#101317',
    webPreferences: secureWebPreferences(preload),
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('will-navigate', (e, url) => {
    if (!isAllowedNavigation(url)) e.preventDefault();
  });
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_wc, permission, cb) => cb(allowPermission(permission)));
  session.setPermissionCheckHandler((_wc, permission) => allowPermission(permission));
  session.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}
