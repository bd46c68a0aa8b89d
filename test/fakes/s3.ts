import { FakeServer, serveBytes, type FakeOptions } from './base';

/**
 * A minimal S3-compatible bucket for demo mode and end-to-end tests: path-style PUT and GET of
 * objects, refusing unsigned writes (the SigV4 signature itself is verified by the s3rver-based
 * integration test). Objects are public to read, like an R2 public bucket.
 */
export type S3Fake = Readonly<{
  server: FakeServer;
  url: string;
  bucket: string;
  objects: Map<string, { bytes: Buffer; type: string }>;
  close(): Promise<void>;
}>;

export async function startS3Fake(opts: FakeOptions & { bucket?: string } = {}): Promise<S3Fake> {
  const bucket = opts.bucket ?? 'talkbatch-demo';
  const server = new FakeServer('s3', opts);
  const objects = new Map<string, { bytes: Buffer; type: string }>();
  server.intercept((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const prefix = `/${bucket}/`;
    if (!u.pathname.startsWith(prefix)) return false;
    const key = decodeURIComponent(u.pathname.slice(prefix.length));
    if (req.method === 'PUT') {
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end('<Error><Code>AccessDenied</Code><Message>unsigned request</Message></Error>');
        return true;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        objects.set(key, { bytes: Buffer.concat(chunks), type: String(req.headers['content-type'] ?? 'application/octet-stream') });
        server.log.push({ at: Date.now(), method: 'PUT', path: u.pathname, query: {}, headers: {}, body: null, files: {}, status: 200 });
        res.writeHead(200, { etag: '"fake"' });
        res.end();
      });
      return true;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const o = objects.get(key);
      if (!o) {
        res.writeHead(404, { 'content-type': 'application/xml' });
        res.end('<Error><Code>NoSuchKey</Code></Error>');
        return true;
      }
      serveBytes(req, res, { bytes: o.bytes, mime: o.type });
      return true;
    }
    res.writeHead(405);
    res.end();
    return true;
  });
  await server.listen(opts.port ?? 0);
  return { server, url: server.url, bucket, objects, close: () => server.close() };
}
