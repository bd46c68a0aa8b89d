import { describe, expect, it } from 'vitest';
import { queueStatus, timeLeftText } from './format';

describe('queueStatus', () => {
  it('tells paused from idle', () => {
    expect(queueStatus(true, 500, 0)).toMatchObject({ kind: 'paused', text: expect.stringContaining('Queue paused') });
    expect(queueStatus(false, 0, 500)).toEqual({ kind: 'held', text: '500 jobs paused, nothing running' });
    expect(queueStatus(false, 0, 0).kind).toBe('idle');
    expect(queueStatus(false, 3, 2).text).toBe('3 jobs in progress · 2 jobs paused');
  });
});

describe('timeLeftText', () => {
  it('says "about" for estimates and rounds so it does not flicker', () => {
    expect(timeLeftText({ sec: 181, approx: true })).toBe('about 4 min');
    expect(timeLeftText({ sec: 42, approx: false })).toBe('50 s');
    expect(timeLeftText({ sec: null, approx: true, overdue: true })).toBe('longer than usual');
    expect(timeLeftText({ sec: null, approx: false })).toBe('–');
  });
});
