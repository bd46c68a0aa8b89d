import { describe, expect, it } from 'vitest';
import { copyNotice, copyText } from './clipboard';

/** "Copy for support" says what really happened (issue 19 item 8: it claimed a copy the clipboard had refused). */
describe('copyText', () => {
  it('reports a copy the clipboard accepted', async () => {
    let got = '';
    const outcome = await copyText('timeline', { writeText: async (t) => void (got = t) });
    expect(outcome).toEqual({ ok: true });
    expect(got).toBe('timeline');
    expect(copyNotice(outcome, 'Timeline')).toEqual({ level: 'info', message: 'Timeline copied: paste it into your support ticket.' });
  });

  it('reports a refused copy as an error, with the reason and what to do', async () => {
    const denied = await copyText('timeline', { writeText: () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError')) });
    expect(denied).toEqual({ ok: false, reason: 'Write permission denied.' });
    expect(copyNotice(denied, 'Timeline')).toEqual({
      level: 'error',
      message: 'Timeline was not copied (Write permission denied.). Select the timeline in the details and copy it by hand.',
    });
    expect(await copyText('x', undefined)).toEqual({ ok: false, reason: 'this window has no clipboard access' });
  });
});
