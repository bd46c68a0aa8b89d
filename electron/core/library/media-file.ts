import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';

/**
 * Serving library files, once for both transports: server mode's GET /media/<path> and the desktop
 * `media:` protocol. Two things live here and nowhere else:
 *  - the guard: a request names a regular file whose *real* path (symlinks resolved, for the library
 *    root too) lies inside the library's real path and outside `.partial/`. Comparing path strings is
 *    not enough: a link inside the library to /etc/passwd, to vault.key or to a folder would pass.
 *  - byte ranges: a <video> seeks with `Range: bytes=…`; without a 206 and Content-Range the player
 *    cannot seek (Electron's net.fetch(file://) answers 200 to a range request).
 */

/** Where unfinished downloads live in the library (never served). */
const PARTIAL_DIR = '.partial';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.woff2': 'font/woff2',
};

export function contentTypeOf(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type RangeDecision = Readonly<{ kind: 'full' }> | Readonly<{ kind: 'partial'; start: number; end: number }> | Readonly<{ kind: 'unsatisfiable' }>;

/**
 * A `Range` header against a file of `size` bytes (RFC 9110 §14): `bytes=a-b`, `bytes=a-`, `bytes=-n`.
 * A header we do not understand (another unit, several ranges, last < first) is ignored — the whole
 * file is the answer the RFC allows; a range that starts past the end is unsatisfiable (416).
 */
export function parseRange(header: string | null | undefined, size: number): RangeDecision {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header ?? '');
  if (!m || (!m[1] && !m[2])) return { kind: 'full' };
  if (!m[1]) {
    // A suffix: the last n bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] ? Number(m[2]) : size - 1;
  if (m[2] && last < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}

export type LibraryFile = Readonly<{ path: string; size: number }>;

/** Every segment-level reading of a request path that a decoder further down the line might make. */
function decodings(once: string): string[] {
  const out = [once];
  let s = once;
  for (let i = 0; i < 3 && /%[0-9a-f]{2}/i.test(s); i++) {
    try {
      s = decodeURIComponent(s);
    } catch {
      break;
    }
    out.push(s);
  }
  return out;
}

/**
 * The library file a request path names, or null (→ 404). `encodedPath` is the path as it came in the
 * URL (still percent-encoded, without the /media/ prefix): it is decoded exactly once, so a file
 * whose name contains "%41" is reachable as "%2541". Readings that further decoding would give are
 * checked too and refused when they contain `..`, `.partial` or NUL, so a double-decoding layer in
 * front of us cannot turn a refused path into an accepted one.
 */
export async function resolveLibraryFile(libraryRoot: string, encodedPath: string): Promise<LibraryFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encodedPath);
  } catch {
    return null;
  }
  for (const reading of decodings(decoded)) {
    if (reading.includes('\0')) return null;
    const segments = reading.split(/[/\\]+/);
    if (segments.includes('..') || segments.includes(PARTIAL_DIR)) return null;
  }
  const relative = decoded.replace(/^[/\\]+/, '');
  if (!relative) return null;
  let realRoot: string;
  let realTarget: string;
  try {
    realRoot = await realpath(libraryRoot);
    realTarget = await realpath(path.resolve(realRoot, relative));
  } catch {
    return null; // no such file (or a dangling link)
  }
  if (!isInside(realRoot, realTarget)) return null;
  if (path.relative(realRoot, realTarget).split(path.sep).includes(PARTIAL_DIR)) return null;
  try {
    const s = await stat(realTarget);
    return s.isFile() ? { path: realTarget, size: s.size } : null;
  } catch {
    return null;
  }
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Status and headers for serving `file` (with its range decision), the same for both transports. */
export function planFileResponse(
  file: LibraryFile,
  rangeHeader: string | null | undefined,
  cacheControl = 'no-store',
): Readonly<{ status: 200 | 206 | 416; headers: Record<string, string>; range: Readonly<{ start: number; end: number }> | null }> {
  const r = parseRange(rangeHeader, file.size);
  if (r.kind === 'unsatisfiable') return { status: 416, headers: { 'content-range': `bytes */${file.size}`, 'accept-ranges': 'bytes' }, range: null };
  const base = { 'content-type': contentTypeOf(file.path), 'accept-ranges': 'bytes', 'cache-control': cacheControl };
  if (r.kind === 'full') return { status: 200, headers: { ...base, 'content-length': String(file.size) }, range: { start: 0, end: file.size - 1 } };
  return {
    status: 206,
    headers: { ...base, 'content-length': String(r.end - r.start + 1), 'content-range': `bytes ${r.start}-${r.end}/${file.size}` },
    range: { start: r.start, end: r.end },
  };
}

/** Server mode: writes the file (or its range) to a Node response. */
export function sendFile(req: IncomingMessage, res: ServerResponse, file: LibraryFile, cacheControl?: string): void {
  const plan = planFileResponse(file, req.headers.range, cacheControl);
  res.writeHead(plan.status, plan.headers);
  if (req.method === 'HEAD' || !plan.range || file.size === 0) res.end();
  else createReadStream(file.path, plan.range).pipe(res);
}

/** The desktop protocol: the file (or its range) as a web Response. */
export function fileResponse(method: string, rangeHeader: string | null, file: LibraryFile): Response {
  const plan = planFileResponse(file, rangeHeader);
  const body = method === 'HEAD' || !plan.range || file.size === 0 ? null : (Readable.toWeb(createReadStream(file.path, plan.range)) as ReadableStream<Uint8Array>);
  return new Response(body, { status: plan.status, headers: plan.headers });
}
