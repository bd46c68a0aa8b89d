import { FakeServer } from '../../test/fakes/base';
import { serve } from '../lib/rpc';

/**
 * A provider-like file host in its own process: a FakeServer (the same code every provider fake uses)
 * serving one big output file (Range, cuts) and taking multipart uploads (busboy, as the fakes do).
 */
let server: FakeServer | null = null;
let lastUpload: { fields: Record<string, string>; files: Record<string, { filename: string; size: number; mimeType: string }> } | null = null;

const api = {
  async start(p: { file: string }) {
    server = new FakeServer('files', { timeScale: 1 });
    server.addFile('output.mp4', { filePath: p.file, mime: 'video/mp4' });
    server.route('POST', '/upload', (req) => {
      lastUpload = { fields: req.fields, files: Object.fromEntries(Object.entries(req.files).map(([k, f]) => [k, { filename: f.filename, size: f.size, mimeType: f.mimeType }])) };
      return { status: 201, json: { ok: true, sizes: Object.fromEntries(Object.entries(req.files).map(([k, f]) => [k, f.size])) } };
    });
    // Reference route: a raw (not multipart) body, drained and counted before any parsing.
    server.intercept((req, res) => {
      if (req.method !== 'POST' || !req.url?.startsWith('/raw')) return false;
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ size: n })));
      return true;
    });
    await server.listen();
    return { rawUrl: `${server.url}/raw`, downloadUrl: server.signedUrl('output.mp4', 24 * 3_600_000), uploadUrl: `${server.url}/upload` };
  },
  /** The next download of the file is cut after `fraction` of its bytes. */
  cut(p: { fraction: number }) {
    need().cutDownload({ fraction: p.fraction });
    return null;
  },
  lastUpload() {
    return lastUpload;
  },
  /** File requests so far: Range asked, status, bytes sent before a cut. */
  fileRequests() {
    return need()
      .log.filter((e) => e.path.startsWith('/_files/'))
      .map((e) => ({ range: e.headers.range ?? null, status: e.status ?? null, cutAtBytes: e.cutAtBytes ?? null }));
  },
  async close() {
    await server?.close();
    server = null;
    return null;
  },
};

function need(): FakeServer {
  if (!server) throw new Error('file host not started');
  return server;
}

export type Api = typeof api;
serve(api);
