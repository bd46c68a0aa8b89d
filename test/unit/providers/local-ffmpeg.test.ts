import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildRenderArgs,
  buildThumbnailArgs,
  captionChunks,
  captionMaxChars,
  escapeFilterPath,
  ffmpegPath,
  ffprobePath,
  fontDirs,
  meaningfulStderr,
  parseFilters,
  parseVersion,
  ProgressReader,
  timeCaptions,
  toSrt,
  unpackedAsarPath,
  type RenderPlan,
} from '../../../electron/core/providers/local-ffmpeg';

describe('unpackedAsarPath', () => {
  it('points a binary inside app.asar at app.asar.unpacked (POSIX and Windows paths)', () => {
    expect(unpackedAsarPath('/Applications/Talkbatch.app/Contents/Resources/app.asar/node_modules/@ffmpeg-installer/darwin-arm64/ffmpeg')).toBe(
      '/Applications/Talkbatch.app/Contents/Resources/app.asar.unpacked/node_modules/@ffmpeg-installer/darwin-arm64/ffmpeg',
    );
    expect(unpackedAsarPath('C:\\Program Files\\Talkbatch\\resources\\app.asar\\node_modules\\@ffmpeg-installer\\win32-x64\\ffmpeg.exe')).toBe(
      'C:\\Program Files\\Talkbatch\\resources\\app.asar.unpacked\\node_modules\\@ffmpeg-installer\\win32-x64\\ffmpeg.exe',
    );
  });

  it('leaves unpacked and development paths alone', () => {
    const unpacked = '/opt/Talkbatch/resources/app.asar.unpacked/node_modules/@ffmpeg-installer/linux-x64/ffmpeg';
    expect(unpackedAsarPath(unpacked)).toBe(unpacked);
    expect(unpackedAsarPath('/work/main/node_modules/@ffmpeg-installer/linux-x64/ffmpeg')).toBe('/work/main/node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
    expect(unpackedAsarPath('/home/me/app.asarfoo/ffmpeg')).toBe('/home/me/app.asarfoo/ffmpeg');
  });
});

describe('binary paths', () => {
  it('uses the npm-shipped binaries unless TALKBATCH_FFMPEG / TALKBATCH_FFPROBE say otherwise', () => {
    expect(ffmpegPath({})).toMatch(/@ffmpeg-installer[\\/][^\\/]+[\\/]ffmpeg(\.exe)?$/);
    expect(ffprobePath({})).toMatch(/@ffprobe-installer[\\/][^\\/]+[\\/]ffprobe(\.exe)?$/);
    expect(existsSync(ffmpegPath({}))).toBe(true);
    expect(ffmpegPath({ TALKBATCH_FFMPEG: '/usr/local/bin/ffmpeg' })).toBe('/usr/local/bin/ffmpeg');
    expect(ffprobePath({ TALKBATCH_FFPROBE: '/opt/ffprobe' })).toBe('/opt/ffprobe');
    expect(ffmpegPath({ TALKBATCH_FFMPEG: '  ' })).toBe(ffmpegPath({}));
  });
});

describe('parseVersion and parseFilters', () => {
  it('reads the version word and the filter names', () => {
    expect(parseVersion('ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2018')).toBe('N-47683-g0e8eb07980-static');
    expect(parseVersion('ffmpeg version 7.1 Copyright')).toBe('7.1');
    const filters = parseFilters(
      ['Filters:', '  T.. = Timeline support', ' ... subtitles         V->V       Render text subtitles onto input video using the libass library.', ' T.C drawtext          V->V       Draw text.', ' ... zoompan           V->V       Apply Zoom & Pan effect.', ' ... anullsrc          |->A       Null audio source.'].join('\n'),
    );
    expect([...filters].sort()).toEqual(['anullsrc', 'drawtext', 'subtitles', 'zoompan']);
  });
});

describe('fontDirs', () => {
  it('hands libass the system font folder where fontconfig may be unconfigured', () => {
    expect(fontDirs('win32', { WINDIR: 'D:\\Windows' })).toEqual({ dirs: ['D:\\Windows\\Fonts'], passToLibass: true });
    expect(fontDirs('darwin', {}).passToLibass).toBe(true);
    expect(fontDirs('linux', { HOME: '/home/me' })).toMatchObject({ passToLibass: false, dirs: expect.arrayContaining(['/usr/share/fonts', '/home/me/.fonts']) });
    expect(fontDirs('linux', { TALKBATCH_FONTS_DIR: '/fonts' })).toEqual({ dirs: ['/fonts'], passToLibass: true });
  });
});

describe('captions', () => {
  it('splits a script into short chunks at sentence ends, commas and length limits', () => {
    expect(captionChunks('Hello there. This is a short test of the local renderer!', 22)).toEqual(['Hello there.', 'This is a short test', 'of the local renderer!']);
    expect(captionChunks('One two three four five six seven eight nine', 100)).toEqual(['One two three four five six seven', 'eight nine']);
    expect(captionChunks('First of all, we begin, then we go on.', 40)).toEqual(['First of all, we begin,', 'then we go on.']);
    expect(captionChunks('  spaced\n\nout  words ', 40)).toEqual(['spaced out words']);
    expect(captionChunks('Supercalifragilisticexpialidocious word', 10)).toEqual(['Supercalifragilisticexpialidocious', 'word']);
    expect(captionChunks('', 22)).toEqual([]);
    expect(captionMaxChars('9:16')).toBeLessThan(captionMaxChars('1:1'));
    expect(captionMaxChars('1:1')).toBeLessThan(captionMaxChars('16:9'));
  });

  it('times chunks back to back over the duration, in proportion to their words', () => {
    const cues = timeCaptions(['one two', 'three four five six', 'seven eight'], 4);
    expect(cues).toEqual([
      { startMs: 0, endMs: 1000, text: 'one two' },
      { startMs: 1000, endMs: 3000, text: 'three four five six' },
      { startMs: 3000, endMs: 4000, text: 'seven eight' },
    ]);
    const odd = timeCaptions(['a', 'b c', 'd'], 3.337);
    expect(odd[0]?.startMs).toBe(0);
    expect(odd.at(-1)?.endMs).toBe(3337);
    for (let i = 1; i < odd.length; i++) expect(odd[i]?.startMs).toBe(odd[i - 1]?.endMs);
    expect(timeCaptions([], 3)).toEqual([]);
  });

  it('writes SubRip text and neutralises markup in the script', () => {
    const srt = toSrt([
      { startMs: 0, endMs: 1500, text: 'Hello {\\b1}world' },
      { startMs: 1500, endMs: 3_723_004, text: 'a <i>b</i> --> c' },
    ]);
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:01,500\nHello (/b1)world\n\n2\n00:00:01,500 --> 01:02:03,004\na ‹i›b‹/i› → c\n');
  });
});

describe('escapeFilterPath', () => {
  it('escapes option and graph specials', () => {
    expect(escapeFilterPath('captions.srt')).toBe('captions.srt');
    expect(escapeFilterPath('C:\\Windows\\Fonts')).toBe('C\\\\:/Windows/Fonts');
    expect(escapeFilterPath("it's")).toBe("it\\\\\\'s");
    expect(escapeFilterPath('a,b;[c]')).toBe('a\\,b\\;\\[c\\]');
  });

  it('gets a path with every special character through a real ffmpeg filter graph', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tb-esc-'));
    const dir = path.join(root, "we'ird, [dir]; a:b");
    mkdirSync(dir);
    const srt = path.join(dir, 'c.srt');
    writeFileSync(srt, '1\n00:00:00,000 --> 00:00:01,000\nHi\n');
    const run = (file: string): void => {
      execFileSync(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=black:s=64x64:d=0.2', '-filter_complex', `[0:v]subtitles=filename=${file}[v]`, '-map', '[v]', '-f', 'null', '-'], { stdio: 'pipe' });
    };
    expect(() => run(escapeFilterPath(srt))).not.toThrow();
    expect(() => run(srt)).toThrow();
    rmSync(root, { recursive: true, force: true });
  });
});

describe('buildRenderArgs', () => {
  const base: RenderPlan = { avatar: { path: '/a/100%.png', kind: 'image' }, audioPath: '/a/voice.wav', durationSec: 3, aspect: '9:16', height: 480, captions: 'burn', srtFile: 'local-j-1.srt', outFile: '/w/local-j-1.part.mp4', zoompan: true };
  const graph = (args: string[]): string => args[args.indexOf('-filter_complex') + 1] ?? '';

  it('makes H.264 yuv420p + AAC MP4 with faststart, progress on stdout and the exact duration', () => {
    const args = buildRenderArgs(base);
    const joined = args.join(' ');
    expect(joined).toContain('-progress pipe:1 -nostats');
    expect(joined).toContain('-f image2 -pattern_type none -i /a/100%.png');
    expect(joined).toContain('-i /a/voice.wav');
    expect(joined).toContain('-c:v libx264');
    expect(joined).toContain('-pix_fmt yuv420p');
    expect(joined).toContain('-c:a aac');
    expect(joined).toContain('-movflags +faststart -f mp4 /w/local-j-1.part.mp4');
    expect(args.slice(args.indexOf('-t', args.indexOf('-filter_complex')), args.indexOf('-t', args.indexOf('-filter_complex')) + 2)).toEqual(['-t', '3.000']);
    expect(args.at(-1)).toBe('/w/local-j-1.part.mp4');
    expect(graph(args)).toContain("zoompan=z='1+0.1*on/75'");
    expect(graph(args)).toContain('s=270x480');
    expect(graph(args)).toContain('subtitles=filename=local-j-1.srt:force_style=');
    expect(joined).not.toContain('mov_text');
  });

  it('loops a video avatar and muxes soft captions as mov_text', () => {
    const args = buildRenderArgs({ ...base, avatar: { path: '/a/clip.mp4', kind: 'video' }, captions: 'soft', aspect: '16:9', height: 720 });
    const joined = args.join(' ');
    expect(joined).toContain('-stream_loop -1 -i /a/clip.mp4');
    expect(joined).toContain('-f srt -i local-j-1.srt');
    expect(joined).toContain('-map [v] -map 1:a:0 -map 2:s:0');
    expect(joined).toContain('-c:s mov_text');
    expect(graph(args)).toContain('scale=1280:720:force_original_aspect_ratio=increase,crop=1280:720');
    expect(graph(args)).not.toContain('subtitles');
  });

  it('adds a silent track of the script length when there is no audio, and no captions when off', () => {
    const args = buildRenderArgs({ ...base, audioPath: undefined, durationSec: 12.4, captions: 'off' });
    const joined = args.join(' ');
    expect(joined).toContain('-f lavfi -t 12.400 -i anullsrc=r=48000:cl=stereo');
    expect(graph(args)).not.toContain('subtitles');
    expect(joined).not.toContain('srt');
  });

  it('passes a fonts folder to libass, escaped', () => {
    expect(graph(buildRenderArgs({ ...base, fontsDir: 'C:\\Windows\\Fonts' }))).toContain(':fontsdir=C\\\\:/Windows/Fonts:');
  });

  it('extracts a JPG thumbnail frame', () => {
    expect(buildThumbnailArgs('/w/x.mp4', 1, '/w/x.part.jpg').join(' ')).toContain('-ss 1.000 -i /w/x.mp4 -frames:v 1 -q:v 3 -f image2 -update 1 /w/x.part.jpg');
  });
});

describe('ProgressReader', () => {
  it('reads out_time_us, the old out_time_ms and out_time across split chunks', () => {
    const p = new ProgressReader();
    p.feed('frame=10\nout_time_us=1000');
    expect(p.outTimeSec).toBe(0);
    p.feed('000\nprogress=continue\n');
    expect(p.outTimeSec).toBe(1);
    expect(p.fraction(4)).toBe(0.25);
    p.feed('out_time_ms=2500000\r\nout_time=00:00:02.500000\n');
    expect(p.outTimeSec).toBe(2.5);
    p.feed('out_time=00:01:03.250000\nout_time_us=N/A\n');
    expect(p.outTimeSec).toBe(63.25);
    expect(p.ended).toBe(false);
    p.feed('progress=end\n');
    expect(p.ended).toBe(true);
    expect(p.fraction(10)).toBe(1);
    expect(p.fraction(0)).toBe(0);
  });
});

describe('meaningfulStderr', () => {
  it("keeps ffmpeg's reason and drops noise", () => {
    const stderr = [
      'Fontconfig warning: "/etc/fonts/conf.d/10-hinting-slight.conf", line 4: unknown element "description"',
      '[png @ 0x16988880] Invalid PNG signature 0x4AD29766F992AE.',
      '[png @ 0x16995700] Invalid PNG signature 0x4AD29766F992AE.',
      'Error while decoding stream #0:0: Invalid data found when processing input',
      'Cannot determine format of input stream 0:0 after EOF',
      'Error marking filters as finished',
      'Conversion failed!',
      '',
    ].join('\n');
    expect(meaningfulStderr(stderr)).toBe(
      'png: Invalid PNG signature 0x4AD29766F992AE.; Error while decoding stream #0:0: Invalid data found when processing input; Cannot determine format of input stream 0:0 after EOF',
    );
    expect(meaningfulStderr(['Fontconfig error: x', ''])).toBe('');
    expect(meaningfulStderr('x'.repeat(700)).length).toBe(601);
  });
});
