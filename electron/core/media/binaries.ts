import { createRequire } from 'node:module';

/**
 * ffmpeg/ffprobe ship inside npm packages (@ffmpeg-installer, @ffprobe-installer). Packaged Electron
 * apps keep node_modules inside app.asar, which child_process cannot execute; electron-builder unpacks
 * the binaries to app.asar.unpacked (asarUnpack), so the path the package reports must be rewritten.
 */
export function unpackedAsarPath(p: string): string {
  return p.replace(/([\\/])app\.asar(?=[\\/])/, '$1app.asar.unpacked');
}

type InstallerModule = Readonly<{ path: string; version?: string }>;

function installerPath(pkg: '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe'): string {
  // Required lazily: the installer packages throw (a bare string) at load on an unsupported platform,
  // which must become a clear error for the features that need ffmpeg, not a crash of the app.
  const req = createRequire(__filename);
  try {
    return unpackedAsarPath((req(pkg) as InstallerModule).path);
  } catch (e) {
    throw new Error(`${pkg} has no binary for this computer (${String(e instanceof Error ? e.message : e)})`, { cause: e });
  }
}

/** ffmpeg to run: env TALKBATCH_FFMPEG, else the binary shipped in @ffmpeg-installer/ffmpeg. */
export function ffmpegPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TALKBATCH_FFMPEG?.trim() || installerPath('@ffmpeg-installer/ffmpeg');
}

/** ffprobe to run: env TALKBATCH_FFPROBE, else the binary shipped in @ffprobe-installer/ffprobe. */
export function ffprobePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TALKBATCH_FFPROBE?.trim() || installerPath('@ffprobe-installer/ffprobe');
}
