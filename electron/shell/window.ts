import { BrowserWindow, shell, type Session } from 'electron';
import { allowPermission, APP_ORIGIN, appliesAppCsp, CSP, isAllowedFrameNavigation, isAllowedNavigation, isSafeExternalUrl, secureWebPreferences } from '../security';

/** The main window with every security decision of electron/security.ts applied. */
export function createMainWindow(preload: string, icon?: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Talkbatch',
    backgroundColor: '#101317',
    ...(icon ? { icon } : {}),
    webPreferences: secureWebPreferences(preload),
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('will-navigate', (e, url) => {
    if (!isAllowedNavigation(url)) e.preventDefault();
  });
  // will-navigate sees only the main frame's own navigations; these two see every frame's, and the
  // redirects a server answers with (an allowed https page that redirects elsewhere).
  win.webContents.on('will-frame-navigate', (e) => {
    if (!isAllowedFrameNavigation(e.url, e.isMainFrame)) e.preventDefault();
  });
  win.webContents.on('will-redirect', (e) => {
    if (!isAllowedFrameNavigation(e.url, e.isMainFrame)) e.preventDefault();
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
  session.setPermissionRequestHandler((_wc, permission, cb, details) => cb(allowPermission(permission, details?.requestingUrl, details?.isMainFrame)));
  session.setPermissionCheckHandler((_wc, permission, _origin, details) => allowPermission(permission, details?.requestingUrl, details?.isMainFrame));
  session.webRequest.onHeadersReceived((details, cb) => {
    if (!appliesAppCsp(details.url, details.resourceType)) return cb({});
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}
