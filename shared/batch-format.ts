import Papa from 'papaparse';
import type { BatchRow } from './model';
import type { Issue } from './result';

/**
 * The batch file format shared by the CLI and the batch builder.
 * CSV columns: title, provider, script, avatar, audio, video, prompt, and param.<name> for provider
 * parameters. JSONL: one object per line with the same keys and `params` as an object.
 */
export const BASE_COLUMNS = ['title', 'provider', 'script', 'avatar', 'audio', 'video', 'prompt'] as const;
export const MAX_JSONL_LINE = 1024 * 1024;

export type ParsedRows = { rows: BatchRow[]; headers: string[]; issues: Issue[] };

/** Parses CSV text (BOM, CRLF, quoted newlines). `mapping` renames headers: { "Script text": "script" }. */
export function parseCsv(text: string, mapping: Readonly<Record<string, string>> = {}): ParsedRows {
  const issues: Issue[] = [];
  const clean = text.replace(/^\uFEFF/, '');
  const res = Papa.parse<string[]>(clean, { skipEmptyLines: 'greedy' });
  for (const e of res.errors) {
    // Papa cannot guess the delimiter of a one-column or empty file and falls back to ",": exactly
    // what is wanted. The missing columns (or the empty file) are reported below, in plain words.
    if (e.code === 'UndetectableDelimiter') continue;
    issues.push({
      ...(e.row !== undefined ? { row: e.row } : {}),
      field: 'file',
      message: `CSV ${e.code === 'MissingQuotes' ? 'has an unclosed quote' : e.code === 'InvalidQuotes' ? 'has a stray quote' : e.message}${e.row !== undefined ? '' : ''}`,
      accepted: 'standard CSV: fields with commas, quotes or line breaks in double quotes, quotes doubled inside them',
    });
  }
  const [head, ...body] = res.data;
  if (!head) return { rows: [], headers: [], issues: [...issues, { field: 'file', message: 'is empty', accepted: 'a header line and one line per video' }] };
  const headers = head.map((h) => {
    const t = h.trim();
    return mapping[t] ?? t;
  });
  const seen = new Set<string>();
  for (const h of headers) {
    if (seen.has(h.toLowerCase())) issues.push({ field: h, message: `the column "${h}" appears twice`, accepted: 'each column once' });
    seen.add(h.toLowerCase());
  }
  const known = (h: string) => (BASE_COLUMNS as readonly string[]).includes(h.toLowerCase()) || /^param\.[A-Za-z0-9_]+$/.test(h);
  for (const h of headers) {
    if (!known(h) && h !== '') {
      issues.push({ field: h, message: `unknown column "${h}"`, accepted: `${BASE_COLUMNS.join(', ')}, or param.<name> (map it to one of these)` });
    }
  }
  for (const required of ['title', 'provider']) {
    if (!headers.some((h) => h.toLowerCase() === required)) issues.push({ field: required, message: `the column "${required}" is missing`, accepted: `a header line with ${BASE_COLUMNS.join(', ')}` });
  }
  const rows: BatchRow[] = [];
  body.forEach((cells, i) => {
    const rowNo = i + 1;
    if (cells.length !== headers.length) {
      issues.push({ row: rowNo, field: 'file', message: `has ${cells.length} field${cells.length === 1 ? '' : 's'}, the header has ${headers.length}`, accepted: 'the same number of fields on every line' });
    }
    const rec: Record<string, string> = {};
    const params: Record<string, unknown> = {};
    headers.forEach((h, c) => {
      const v = (cells[c] ?? '').trim();
      if (v === '') return;
      if (h.startsWith('param.')) params[h.slice(6)] = v;
      else rec[h.toLowerCase()] = v;
    });
    rows.push(toRow(rec, params));
  });
  return { rows, headers, issues };
}

export function parseJsonl(text: string): ParsedRows {
  const issues: Issue[] = [];
  const rows: BatchRow[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let rowNo = 0;
  lines.forEach((line) => {
    if (!line.trim()) return;
    rowNo++;
    if (line.length > MAX_JSONL_LINE) {
      issues.push({ row: rowNo, field: 'file', message: `the line is ${Math.ceil(line.length / 1024)} KB long`, accepted: `lines up to ${MAX_JSONL_LINE / 1024} KB` });
      rows.push({ title: '', provider: '' });
      return;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      issues.push({ row: rowNo, field: 'file', message: `is not valid JSON (${(e as Error).message})`, accepted: 'one JSON object per line' });
      rows.push({ title: '', provider: '' });
      return;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      issues.push({ row: rowNo, field: 'file', message: 'is not a JSON object', accepted: '{"title": …, "provider": …, …}' });
      rows.push({ title: '', provider: '' });
      return;
    }
    const o = obj as Record<string, unknown>;
    const rec: Record<string, string> = {};
    for (const [k, v] of Object.entries(o)) {
      if (k === 'params') continue;
      if (!(BASE_COLUMNS as readonly string[]).includes(k)) {
        issues.push({ row: rowNo, field: k, message: `unknown key "${k}"`, accepted: `${BASE_COLUMNS.join(', ')}, params` });
        continue;
      }
      if (v === null || v === undefined) continue;
      if (typeof v !== 'string') issues.push({ row: rowNo, field: k, message: `must be text, got ${typeof v}`, accepted: 'a JSON string' });
      else rec[k] = v;
    }
    const params = o.params;
    if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) {
      issues.push({ row: rowNo, field: 'params', message: 'must be an object', accepted: '"params": {"name": value}' });
    }
    rows.push(toRow(rec, params && typeof params === 'object' && !Array.isArray(params) ? (params as Record<string, unknown>) : {}));
  });
  if (!rows.length) issues.push({ field: 'file', message: 'has no rows', accepted: 'one JSON object per line' });
  return { rows, headers: [], issues };
}

function toRow(rec: Record<string, string>, params: Record<string, unknown>): BatchRow {
  return {
    title: rec.title ?? '',
    provider: (rec.provider ?? '').toLowerCase(),
    ...(rec.script ? { script: rec.script } : {}),
    ...(rec.prompt ? { prompt: rec.prompt } : {}),
    ...(rec.avatar ? { avatar: rec.avatar } : {}),
    ...(rec.audio ? { audio: rec.audio } : {}),
    ...(rec.video ? { video: rec.video } : {}),
    ...(Object.keys(params).length ? { params } : {}),
  };
}

/** Paste box: one script per line, or blocks separated by blank lines when any blank line exists. */
export function splitScripts(text: string): string[] {
  const t = text.replace(/\r\n/g, '\n').trim();
  if (!t) return [];
  if (/\n\s*\n/.test(t)) return t.split(/\n\s*\n/).map((s) => s.replace(/\s*\n\s*/g, ' ').trim()).filter(Boolean);
  return t.split('\n').map((s) => s.trim()).filter(Boolean);
}
