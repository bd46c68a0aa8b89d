import { DEFAULT_FILE_TEMPLATE, TEMPLATE_TOKENS } from './settings';
import type { Issue } from './result';

/**
 * File and folder names that are valid on Windows, macOS and Linux alike: no reserved characters,
 * no control characters, no trailing dots or spaces, no reserved device names (CON, NUL, COM1…),
 * no path traversal, never empty, and short enough for every file system.
 */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

export function sanitizeName(input: string, fallback = 'untitled', maxLength = 100): string {
  let s = input
    .normalize('NFC')
     
    .replace(/[<>:"/\\|?*\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  // Leading spaces too: "../x" becomes " .. x" once the slash is replaced, then loses its dots.
  s = s.replace(/^[. ]+/, '').replace(/[. ]+$/, '');
  s = truncate(s, maxLength, MAX_NAME_BYTES).replace(/[. ]+$/, '');
  if (!s || s === '.' || s === '..') s = fallback;
  if (RESERVED.test(s)) s = `_${s}`;
  return s;
}

/**
 * ext4 and APFS allow 255 bytes of UTF-8 per name (NTFS 255 UTF-16 units): 100 CJK characters are
 * 300 bytes. The cap leaves room for what the library appends (" (9999)", ".json.tmp").
 */
const MAX_NAME_BYTES = 200;

/** At most `maxUnits` UTF-16 units and `maxBytes` UTF-8 bytes, never splitting a character. */
function truncate(s: string, maxUnits: number, maxBytes: number): string {
  let units = 0;
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const b = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (units + ch.length > maxUnits || bytes + b > maxBytes) break;
    units += ch.length;
    bytes += b;
    out += ch;
  }
  return out;
}

export type TemplateVars = Readonly<{ row: number; title: string; provider: string; batch: string; date: string; job: string; model?: string }>;

export function templateIssues(template: string): Issue[] {
  const issues: Issue[] = [];
  const accepted = `text and the tokens ${TEMPLATE_TOKENS.join(' ')}`;
  if (!template.trim()) issues.push({ field: 'fileNameTemplate', message: 'is empty', accepted });
  if (/[/\\]|\.\./.test(template)) issues.push({ field: 'fileNameTemplate', message: 'must not contain / \\ or ..', accepted });
  for (const m of template.matchAll(/\{[^}]*\}/g)) {
    if (!(TEMPLATE_TOKENS as readonly string[]).includes(m[0])) issues.push({ field: 'fileNameTemplate', message: `unknown token ${m[0]}`, accepted });
  }
  // A name Windows reserves whatever the tokens hold ("CON", "nul.{row}"): every file would be renamed.
  const sample = template.replace(/\{[^}]*\}/g, 'x').trim();
  if (RESERVED.test(sample)) issues.push({ field: 'fileNameTemplate', message: `"${template}" makes reserved file names (CON, PRN, AUX, NUL, COM1–9, LPT1–9)`, accepted });
  return issues;
}

/** The file name (without extension) for one output. */
export function renderFileName(template: string, v: TemplateVars): string {
  const t = templateIssues(template).length ? DEFAULT_FILE_TEMPLATE : template;
  const out = t.replace(/\{(row|title|provider|batch|date|job|model)\}/g, (_m, k: string) => {
    switch (k) {
      case 'row':
        return String(v.row).padStart(3, '0');
      case 'title':
        return v.title;
      case 'provider':
        return v.provider;
      case 'batch':
        return v.batch;
      case 'date':
        return v.date;
      case 'job':
        return v.job.slice(0, 8);
      default:
        return v.model ?? '';
    }
  });
  return sanitizeName(out.replace(/-{2,}/g, '-').replace(/^-|-$/g, ''), `${String(v.row).padStart(3, '0')}-${v.provider}`);
}
