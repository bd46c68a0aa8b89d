import { describe, expect, it } from 'vitest';
import { renderFileName, sanitizeName, templateIssues, type TemplateVars } from '../../shared/naming';
import { DEFAULT_FILE_TEMPLATE, TEMPLATE_TOKENS } from '../../shared/settings';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length;

/** What every produced name must be, on Windows, macOS and Linux alike. */
function expectPortable(name: string): void {
  expect(name.length).toBeGreaterThan(0);
  expect(name).not.toMatch(/[<>:"/\\|?*\u0000-\u001f\u007f]/);
  expect(name).not.toMatch(/[. ]$/);
  expect(name).not.toMatch(/^[. ]/);
  expect(name).not.toMatch(/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i);
  expect(name).not.toMatch(LONE_SURROGATE);
  // Room for " (9999)", ".json.tmp" and the like within the 255-byte limit of ext4/APFS.
  expect(utf8Bytes(name)).toBeLessThanOrEqual(230);
}

describe('sanitizeName', () => {
  it.each([
    ['a<b>c:d"e/f\\g|h?i*j', 'a b c d e f g h i j'],
    ['tab\tnew\nline\u0000nul\u007fdel', 'tab new line nul del'],
    ['  spaced   out  ', 'spaced out'],
    ['trailing dots...', 'trailing dots'],
    ['trailing dot and space. . ', 'trailing dot and space'],
    ['.hidden', 'hidden'],
    ['..', 'untitled'],
    ['...', 'untitled'],
    ['', 'untitled'],
    ['   ', 'untitled'],
    ['///', 'untitled'],
    ['../../etc/passwd', 'etc passwd'],
    ['Café', 'Café'],
    ['Cafe\u0301', 'Café'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeName(input)).toBe(expected);
    expectPortable(sanitizeName(input));
  });

  it.each(['CON', 'con', 'PRN', 'AUX', 'NUL', 'nul.txt', 'COM1', 'com9.mp4', 'LPT1', 'lpt3.json', 'CON.', 'con .'])('escapes the reserved device name %j', (name) => {
    const s = sanitizeName(name);
    expect(s.startsWith('_')).toBe(true);
    expectPortable(s);
  });

  it('keeps names that only look like device names', () => {
    expect(sanitizeName('CONTACT')).toBe('CONTACT');
    expect(sanitizeName('console')).toBe('console');
    expect(sanitizeName('COM10')).toBe('COM10');
  });

  it('uses the fallback given', () => {
    expect(sanitizeName('', 'My video')).toBe('My video');
    expect(sanitizeName('???', '001-local')).toBe('001-local');
  });

  it('shortens long names to the limit without leaving a trailing dot or space', () => {
    expect(sanitizeName('a'.repeat(300))).toBe('a'.repeat(100));
    expect(sanitizeName(`${'a'.repeat(98)}. b`)).toBe('a'.repeat(98));
    expect(sanitizeName('abcdef', 'x', 3)).toBe('abc');
    expectPortable(sanitizeName('word '.repeat(100)));
  });

  it('never cuts a character in half (emoji are two UTF-16 units)', () => {
    const s = sanitizeName(`${'a'.repeat(99)}😀😀`);
    expect(s).not.toMatch(LONE_SURROGATE);
    expectPortable(s);
    expectPortable(sanitizeName('😀'.repeat(200)));
  });

  it('keeps long non-Latin names within the byte limit of the file system', () => {
    for (const s of ['字'.repeat(300), 'ü'.repeat(300), 'Привет, мир! '.repeat(30), '👩‍👩‍👧‍👦'.repeat(60)]) {
      const name = sanitizeName(s);
      expectPortable(name);
      expect(name.length).toBeGreaterThan(10);
    }
  });
});

describe('templateIssues', () => {
  it('accepts the default template and every token', () => {
    expect(templateIssues(DEFAULT_FILE_TEMPLATE)).toEqual([]);
    expect(templateIssues(TEMPLATE_TOKENS.join('_'))).toEqual([]);
    expect(templateIssues('plain name')).toEqual([]);
  });

  it.each(['../{title}', '{title}/{row}', '{title}\\{row}', '..{row}', 'a/b'])('rejects path separators and traversal in %j', (t) => {
    const issues = templateIssues(t);
    expect(issues).toContainEqual(expect.objectContaining({ field: 'fileNameTemplate', message: 'must not contain / \\ or ..' }));
    for (const i of issues) expect(i.accepted).toContain('{title}');
  });

  it('rejects unknown tokens, naming each', () => {
    const issues = templateIssues('{row}-{name}-{Title}-{}');
    expect(issues.map((i) => i.message)).toEqual(['unknown token {name}', 'unknown token {Title}', 'unknown token {}']);
    for (const i of issues) expect(i).toMatchObject({ field: 'fileNameTemplate', accepted: expect.stringContaining('{row} {title} {provider}') });
  });

  it('rejects an empty template', () => {
    expect(templateIssues('   ')).toContainEqual(expect.objectContaining({ field: 'fileNameTemplate', message: 'is empty' }));
  });
});

describe('renderFileName', () => {
  const vars: TemplateVars = {
    row: 7,
    title: 'Spring sale: 20% off!',
    provider: 'sync',
    batch: 'Launch',
    date: '2026-05-01',
    job: '0123456789abcdef',
    model: 'sync-3',
  };

  it('fills the default template with a zero-padded row', () => {
    expect(renderFileName(DEFAULT_FILE_TEMPLATE, vars)).toBe('007-Spring sale 20% off!-sync');
  });

  it('fills every token; {job} is the first 8 characters', () => {
    expect(renderFileName('{date}_{batch}_{row}_{provider}_{model}_{job}', vars)).toBe('2026-05-01_Launch_007_sync_sync-3_01234567');
  });

  it('does not expand tokens that appear inside the title', () => {
    expect(renderFileName('{row}-{title}', { ...vars, title: 'about {provider}' })).toBe('007-about {provider}');
  });

  it('drops empty parts cleanly', () => {
    expect(renderFileName('{row}-{model}-{provider}', { ...vars, model: '' })).toBe('007-sync');
    expect(renderFileName('{model}-{title}', { ...vars, model: undefined, title: 'x' })).toBe('x');
  });

  it('sanitises titles that would escape the folder or name a device', () => {
    expectPortable(renderFileName('{title}', { ...vars, title: '../../etc/passwd' }));
    expect(renderFileName('{title}', { ...vars, title: '../../etc/passwd' })).toBe('etc passwd');
    expect(renderFileName('{title}', { ...vars, title: 'CON' })).toBe('_CON');
    expect(renderFileName('{title}', { ...vars, title: '...' })).toBe('007-sync');
    expectPortable(renderFileName(DEFAULT_FILE_TEMPLATE, { ...vars, title: '字'.repeat(300) }));
  });

  it('falls back to the default template when the template is not valid', () => {
    expect(renderFileName('../{title}', vars)).toBe(renderFileName(DEFAULT_FILE_TEMPLATE, vars));
    expect(renderFileName('{nope}', vars)).toBe(renderFileName(DEFAULT_FILE_TEMPLATE, vars));
    expect(renderFileName('', vars)).toBe(renderFileName(DEFAULT_FILE_TEMPLATE, vars));
  });
});
