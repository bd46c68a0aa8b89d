import { describe, expect, it } from 'vitest';
import { moveWithin } from '../../shared/reorder';

const L = ['a', 'b', 'c', 'd', 'e'];

describe('moveWithin', () => {
  it('moves one job up and down', () => {
    expect(moveWithin(L, ['c'], 'up')).toEqual(['a', 'c', 'b', 'd', 'e']);
    expect(moveWithin(L, ['c'], 'down')).toEqual(['a', 'b', 'd', 'c', 'e']);
  });
  it('stops at the edges', () => {
    expect(moveWithin(L, ['a'], 'up')).toEqual(L);
    expect(moveWithin(L, ['e'], 'down')).toEqual(L);
    expect(moveWithin(L, ['a', 'b'], 'up')).toEqual(L);
  });
  it('moves a selection, keeping its order', () => {
    expect(moveWithin(L, ['b', 'd'], 'up')).toEqual(['b', 'a', 'd', 'c', 'e']);
    expect(moveWithin(L, ['b', 'c'], 'down')).toEqual(['a', 'd', 'b', 'c', 'e']);
    expect(moveWithin(L, ['a', 'c'], 'up')).toEqual(['a', 'c', 'b', 'd', 'e']);
  });
  it('drops before a job', () => {
    expect(moveWithin(L, ['e'], { before: 'b' })).toEqual(['a', 'e', 'b', 'c', 'd']);
    expect(moveWithin(L, ['d', 'a'], { before: 'c' })).toEqual(['b', 'a', 'd', 'c', 'e']);
    expect(moveWithin(L, ['b'], { before: 'b' })).toEqual(L);
    expect(moveWithin(L, ['x'], 'up')).toEqual(L);
    expect(moveWithin(L, ['b'], { before: 'zz' })).toEqual(L);
  });
});
