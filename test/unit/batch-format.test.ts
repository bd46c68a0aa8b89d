import { describe, expect, it } from 'vitest';
import { MAX_JSONL_LINE, parseCsv, parseJsonl, splitScripts } from '../../shared/batch-format';

describe('parseCsv', () => {
  it('reads a plain CSV into rows', () => {
    const res = parseCsv('title,provider,script,avatar,audio\nHello,local,Hi there,face.png,voice.wav\nSecond,SYNC,,,\n');
    expect(res.issues).toEqual([]);
    expect(res.headers).toEqual(['title', 'provider', 'script', 'avatar', 'audio']);
    expect(res.rows).toEqual([
      { title: 'Hello', provider: 'local', script: 'Hi there', avatar: 'face.png', audio: 'voice.wav' },
      { title: 'Second', provider: 'sync' },
    ]);
  });

  it('strips a UTF-8 BOM (Excel) and reads CRLF line ends', () => {
    const res = parseCsv('\uFEFFtitle,provider,script\r\nA,local,one\r\nB,local,two\r\n');
    expect(res.issues).toEqual([]);
    expect(res.headers[0]).toBe('title');
    expect(res.rows.map((r) => r.script)).toEqual(['one', 'two']);
  });

  it('keeps quoted commas, doubled quotes and line breaks inside a field', () => {
    const res = parseCsv('title,provider,script\r\n"Hi, you",local,"Line one\r\nLine ""two"""\r\nNext,local,x\r\n');
    expect(res.issues).toEqual([]);
    expect(res.rows).toHaveLength(2);
    expect(res.rows[0]).toMatchObject({ title: 'Hi, you', script: 'Line one\r\nLine "two"' });
    expect(res.rows[1]).toMatchObject({ title: 'Next' });
  });

  it('reports an unclosed quote with its row', () => {
    const res = parseCsv('title,provider,script\nA,local,"never closed\nB,local,x\n');
    expect(res.issues).toContainEqual(
      expect.objectContaining({ row: 1, field: 'file', message: 'CSV has an unclosed quote', accepted: expect.stringContaining('double quotes') }),
    );
  });

  it('reports a stray quote after a quoted field', () => {
    const res = parseCsv('title,provider,script\n"A"x,local,y\n');
    expect(res.issues).toContainEqual(expect.objectContaining({ field: 'file', message: expect.stringMatching(/quote/) }));
  });

  it('reports a column that appears twice', () => {
    const res = parseCsv('title,provider,Script,script\nA,local,x,y\n');
    expect(res.issues).toContainEqual({ field: 'script', message: 'the column "script" appears twice', accepted: 'each column once' });
  });

  it.each([
    ['title', 'provider,script\nlocal,x\n'],
    ['provider', 'title,script\nA,x\n'],
  ])('reports a missing %s column', (col, text) => {
    const res = parseCsv(text);
    expect(res.issues).toContainEqual(expect.objectContaining({ field: col, message: `the column "${col}" is missing`, accepted: expect.stringContaining('title, provider') }));
  });

  it('reports unknown columns and says how to map them', () => {
    const res = parseCsv('title,provider,Script text,colour\nA,local,x,red\n');
    expect(res.issues.map((i) => i.field)).toEqual(['Script text', 'colour']);
    expect(res.issues[1]).toMatchObject({ message: 'unknown column "colour"', accepted: expect.stringContaining('param.<name>') });
  });

  it('applies a header mapping', () => {
    const res = parseCsv('Name,Service,Script text\nA,local,hello\n', { Name: 'title', Service: 'provider', 'Script text': 'script' });
    expect(res.issues).toEqual([]);
    expect(res.rows).toEqual([{ title: 'A', provider: 'local', script: 'hello' }]);
  });

  it('reports ragged rows with their row number, and still returns them', () => {
    const res = parseCsv('title,provider,script\nA,local,x,extra\nB,local\nC,local,z\n');
    expect(res.issues).toEqual([
      { row: 1, field: 'file', message: 'has 4 fields, the header has 3', accepted: 'the same number of fields on every line' },
      { row: 2, field: 'file', message: 'has 2 fields, the header has 3', accepted: 'the same number of fields on every line' },
    ]);
    expect(res.rows.map((r) => r.title)).toEqual(['A', 'B', 'C']);
  });

  it('says "1 field", not "1 fields"', () => {
    expect(parseCsv('title,provider\nA\n').issues).toContainEqual(expect.objectContaining({ row: 1, message: 'has 1 field, the header has 2' }));
  });

  it('collects param.<name> columns as provider parameters (text, typed later)', () => {
    const res = parseCsv('title,provider,param.aspect_ratio,param.height,param.Empty\nA,local,16:9,480,\n');
    expect(res.issues).toEqual([]);
    expect(res.rows[0]).toEqual({ title: 'A', provider: 'local', params: { aspect_ratio: '16:9', height: '480' } });
  });

  it('rejects a param column with an invalid name', () => {
    expect(parseCsv('title,provider,param.\nA,local,x\n').issues).toContainEqual(expect.objectContaining({ field: 'param.', message: 'unknown column "param."' }));
    expect(parseCsv('title,provider,param.a-b\nA,local,x\n').issues).toContainEqual(expect.objectContaining({ field: 'param.a-b' }));
  });

  it('says an empty file is empty, and only that', () => {
    expect(parseCsv('').issues).toEqual([{ field: 'file', message: 'is empty', accepted: 'a header line and one line per video' }]);
    expect(parseCsv('\uFEFF\r\n\r\n').issues).toEqual([{ field: 'file', message: 'is empty', accepted: 'a header line and one line per video' }]);
  });

  it('names the real problem of a one-column file (no delimiter noise)', () => {
    const res = parseCsv('title\nA\nB\n');
    expect(res.issues).toEqual([expect.objectContaining({ field: 'provider', message: 'the column "provider" is missing' })]);
  });

  it('skips blank lines, trims cells and lower-cases the provider', () => {
    const res = parseCsv('title,provider\n\n  A  ,  LOCAL \n   \n');
    expect(res.issues).toEqual([]);
    expect(res.rows).toEqual([{ title: 'A', provider: 'local' }]);
  });
});

describe('parseJsonl', () => {
  it('reads one object per line, with params and CRLF', () => {
    const res = parseJsonl('\uFEFF{"title":"A","provider":"local","script":"hi","params":{"height":480}}\r\n\r\n{"title":"B","provider":"Sync","video":"v.mp4"}\r\n');
    expect(res.issues).toEqual([]);
    expect(res.rows).toEqual([
      { title: 'A', provider: 'local', script: 'hi', params: { height: 480 } },
      { title: 'B', provider: 'sync', video: 'v.mp4' },
    ]);
  });

  it('reports bad JSON with its row and keeps later rows numbered right', () => {
    const res = parseJsonl('{"title":"A","provider":"local"}\n{"title": "B",\n{"title":"C","provider":"local"}\n');
    expect(res.issues).toEqual([expect.objectContaining({ row: 2, field: 'file', message: expect.stringMatching(/^is not valid JSON/), accepted: 'one JSON object per line' })]);
    expect(res.rows).toHaveLength(3);
    expect(res.rows[2]).toMatchObject({ title: 'C' });
  });

  it.each(['[1,2]', '"just text"', '42', 'null', 'true'])('reports a line that is not an object: %s', (line) => {
    const res = parseJsonl(`{"title":"A","provider":"local"}\n${line}\n`);
    expect(res.issues).toEqual([expect.objectContaining({ row: 2, field: 'file', message: 'is not a JSON object' })]);
  });

  it.each(['[]', '"x"', '3', 'null'])('reports params that are not an object: %s', (params) => {
    const res = parseJsonl(`{"title":"A","provider":"local","params":${params}}`);
    expect(res.issues).toEqual([{ row: 1, field: 'params', message: 'must be an object', accepted: '"params": {"name": value}' }]);
  });

  it('reports non-text values and unknown keys, naming the key', () => {
    const res = parseJsonl('{"title":5,"provider":"local","colour":"red","script":null}');
    expect(res.issues).toEqual([
      { row: 1, field: 'title', message: 'must be text, got number', accepted: 'a JSON string' },
      expect.objectContaining({ row: 1, field: 'colour', message: 'unknown key "colour"' }),
    ]);
  });

  it('refuses a line over 1 MiB without parsing it', () => {
    const huge = JSON.stringify({ title: 'A', provider: 'local', script: 'x'.repeat(MAX_JSONL_LINE) });
    const res = parseJsonl(`{"title":"ok","provider":"local"}\n${huge}\n`);
    expect(res.issues).toEqual([{ row: 2, field: 'file', message: expect.stringMatching(/^the line is \d+ KB long$/), accepted: 'lines up to 1024 KB' }]);
    expect(res.rows[1]).toEqual({ title: '', provider: '' });
    // Exactly at the limit is fine.
    const atLimit = JSON.stringify({ title: 'A', provider: 'local', script: '' });
    const padded = atLimit.replace('""', `"${'y'.repeat(MAX_JSONL_LINE - atLimit.length)}"`);
    expect(padded.length).toBe(MAX_JSONL_LINE);
    expect(parseJsonl(padded).issues).toEqual([]);
  });

  it('says a file without rows has none', () => {
    expect(parseJsonl('\n  \n').issues).toEqual([{ field: 'file', message: 'has no rows', accepted: 'one JSON object per line' }]);
  });
});

describe('splitScripts', () => {
  it('takes one script per line', () => {
    expect(splitScripts('First script\n  Second script  \nThird\n')).toEqual(['First script', 'Second script', 'Third']);
  });

  it('takes blocks separated by blank lines when there are any, joining their lines', () => {
    expect(splitScripts('One line\nsame script\n\nSecond\r\nscript\r\n\r\n   \n\nThird')).toEqual(['One line same script', 'Second script', 'Third']);
  });

  it('handles CRLF and empty input', () => {
    expect(splitScripts('a\r\nb\r\n')).toEqual(['a', 'b']);
    expect(splitScripts('')).toEqual([]);
    expect(splitScripts(' \n \r\n ')).toEqual([]);
  });
});
