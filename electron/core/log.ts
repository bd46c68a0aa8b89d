import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The app log (JSON lines in <data dir>/logs/talkbatch.log). Every line passes through `redact`:
 * secret values the vault handed out are replaced, URL query strings (presigned signatures) are cut,
 * and any field whose name looks like a secret is masked. API keys never reach a log.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

/** Names whose values are secrets: apiKey, x-api-key, authorization, accessToken, secretAccessKey, Oshara's access/refresh… */
const KEY_LIKE = /api[_-]?key|access[_-]?key|secret|token|passw(or)?d|authorization|credential|signature|^(key|access|refresh|cookie)$/i;
/** `name: value`, `name=value` or `"name": "value"` in free text (e.g. a provider's error body quoted in a message). */
const NAME_SEP = /(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{1,64})("?\s*[:=]\s*)/g;
/** The value after it: a quoted string, a scheme and its token ("Bearer abc"), or one word. */
const VALUE = /^(?:"(?:[^"\\]|\\.)*"|(?:(?:Bearer|Basic|Token)\s+)?[^\s",}]+)/i;

export class Logger {
  private readonly secrets = new Set<string>();

  constructor(
    private readonly file: string | null,
    private readonly echo: boolean = false,
    private readonly maxBytes = 10 * 1024 * 1024,
  ) {
    if (file) mkdirSync(path.dirname(file), { recursive: true });
  }

  /** Registers a value that must never be written (called whenever credentials are decrypted). */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 4) this.secrets.add(value);
  }

  /** A text (a message, a string in the data) with secrets, URL query strings and key-like values masked. */
  redact(text: string): string {
    const text2 = this.redactSecrets(text);
    let out = '';
    let from = 0;
    const re = new RegExp(NAME_SEP.source, 'g');
    for (let m = re.exec(text2); m; m = re.exec(text2)) {
      // A name that is not key-like leaves its value unread: "error: token=abc" still finds the token.
      if (!KEY_LIKE.test(m[1]!)) continue;
      const start = m.index + m[0].length;
      const value = VALUE.exec(text2.slice(start))?.[0];
      if (!value) continue;
      out += `${text2.slice(from, start)}${value.startsWith('"') ? '"[redacted]"' : '[redacted]'}`;
      from = start + value.length;
      re.lastIndex = from;
    }
    return out + text2.slice(from);
  }

  log(level: Level, message: string, data?: Readonly<Record<string, unknown>>): void {
    // Key-like fields are masked on the structure (a header map, a request body), before it becomes
    // JSON: a value like "Bearer abc" or one with spaces is masked whole. The line is checked again
    // for registered secrets and URLs, wherever they ended up.
    const entry = { t: new Date().toISOString(), level, message: this.redact(message), ...(data ? { data: this.scrub(data, 0) } : {}) };
    const line = this.redactSecrets(JSON.stringify(entry));
    if (this.echo && level !== 'debug') process.stderr.write(`${line}\n`);
    if (!this.file) return;
    try {
      if ((statSync(this.file, { throwIfNoEntry: false })?.size ?? 0) > this.maxBytes) renameSync(this.file, `${this.file}.1`);
      appendFileSync(this.file, `${line}\n`);
    } catch {
      // logging must never break the queue (e.g. disk full)
    }
  }

  private redactSecrets(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out.replace(/(https?:\/\/[^\s"'?]+)\?[^\s"']*/g, '$1?…');
  }

  private scrub(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return this.redact(v);
    if (v === null || typeof v !== 'object' || depth > 10) return v;
    const j = (v as { toJSON?: unknown }).toJSON;
    if (typeof j === 'function') return this.scrub((j as () => unknown).call(v), depth + 1);
    if (Array.isArray(v)) return v.map((x) => this.scrub(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = KEY_LIKE.test(k) && x !== null && x !== undefined ? '[redacted]' : this.scrub(x, depth + 1);
    return out;
  }

  debug = (m: string, d?: Readonly<Record<string, unknown>>) => this.log('debug', m, d);
  info = (m: string, d?: Readonly<Record<string, unknown>>) => this.log('info', m, d);
  warn = (m: string, d?: Readonly<Record<string, unknown>>) => this.log('warn', m, d);
  error = (m: string, d?: Readonly<Record<string, unknown>>) => this.log('error', m, d);
}
