import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The app log (JSON lines in <data dir>/logs/talkbatch.log). Every line passes through `redact`:
 * secret values the vault handed out are replaced, URL query strings (presigned signatures) are cut,
 * and any field whose name looks like a secret is masked. API keys never reach a log.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

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

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    out = out.replace(/(https?:\/\/[^\s"'?]+)\?[^\s"']*/g, '$1?…');
    out = out.replace(/("?(?:api[_-]?key|x-api-key|authorization|password|token|secret|access|refresh)"?\s*[:=]\s*"?)([^",}\s]+)/gi, '$1[redacted]');
    return out;
  }

  log(level: Level, message: string, data?: Readonly<Record<string, unknown>>): void {
    const line = this.redact(JSON.stringify({ t: new Date().toISOString(), level, message, ...(data ? { data } : {}) }));
    if (this.echo && level !== 'debug') process.stderr.write(`${line}\n`);
    if (!this.file) return;
    try {
      if ((statSync(this.file, { throwIfNoEntry: false })?.size ?? 0) > this.maxBytes) renameSync(this.file, `${this.file}.1`);
      appendFileSync(this.file, `${line}\n`);
    } catch {
      // logging must never break the queue (e.g. disk full)
    }
  }

  debug = (m: string, d?: Readonly<Record<string, unknown>>) => this.log('debug', m, d);
  info = (m: string, d?: Readonly<Record<string, unknown>>) => this.log('info', m, d);
  warn = (m: string, d?: Readonly<Record<string, unknown>>) => this.log('warn', m, d);
  error = (m: string, d?: Readonly<Record<string, unknown>>) => this.log('error', m, d);
}
