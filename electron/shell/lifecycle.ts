import path from 'node:path';

/**
 * The desktop app's small decisions, as pure functions (main.ts and desktop.ts apply them):
 * when closing hides instead of quitting, and where the icons are.
 */

/** The installer's appId (electron-builder.yml): Windows drops toasts of an app without it. */
export const APP_USER_MODEL_ID = 'app.talkbatch.desktop';

export type CloseState = Readonly<{ quitting: boolean; closeToTray: boolean; trayShown: boolean }>;

/** Closing the window hides it only when the user chose so and a tray icon is really there to bring it back. */
export function hideOnClose(s: CloseState): boolean {
  return !s.quitting && s.closeToTray && s.trayShown;
}

/** With no window left the app quits, unless it lives on in a visible tray by the user's choice. */
export function quitWhenAllClosed(s: CloseState): boolean {
  return s.quitting || !(s.closeToTray && s.trayShown);
}

export type IconPlace = Readonly<{ isPackaged: boolean; resourcesPath: string; appRoot: string; platform: NodeJS.Platform }>;

/**
 * The images the running app loads: build/tray in a checkout; resources/icons in a package
 * (extraResources in electron-builder.yml). build/icons holds only the app icon set for the installers.
 */
export function iconsDir(p: IconPlace): string {
  return p.isPackaged ? path.join(p.resourcesPath, 'icons') : path.join(p.appRoot, 'build', 'tray');
}

/**
 * The tray image: on macOS a template image (black and clear; the name ending in "Template" makes
 * Electron mark it so, and @2x is picked up beside it), an .ico on Windows, a PNG elsewhere.
 */
export function trayIconPath(p: IconPlace): string {
  const file = p.platform === 'darwin' ? 'trayTemplate.png' : p.platform === 'win32' ? 'tray.ico' : 'tray.png';
  return path.join(iconsDir(p), file);
}

/** The window icon (Linux and Windows title bars and task bars; macOS uses the bundle's icns). */
export function windowIconPath(p: IconPlace): string {
  return path.join(iconsDir(p), p.platform === 'win32' ? 'icon.ico' : 'window.png');
}
