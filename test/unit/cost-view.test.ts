import { describe, expect, it } from 'vitest';
import { costLabel, costSummary, explainCost, totalsLabel } from '../../shared/cost-view';
import type { JobRecord } from '../../shared/model';

type J = Pick<JobRecord, 'provider' | 'status' | 'costUsed' | 'costEstimate' | 'input'>;
const j = (over: Partial<J>): J => ({ provider: 'sync', status: 'completed', costUsed: null, costEstimate: null, input: { title: 't', params: {} }, ...over });

describe('costLabel', () => {
  it('says whose credits', () => {
    expect(costLabel({ amount: 12.5, unit: 'credits' }, 'techforge')).toBe('12.5 TechForge credits');
    expect(costLabel({ amount: 1, unit: 'credits' }, 'creatify')).toBe('1 Creatify credit');
    expect(costLabel({ amount: 1.2, unit: 'USD' })).toBe('$1.20');
    expect(costLabel({ amount: 0, unit: 'USD' })).toBe('free');
  });
});

describe('costSummary', () => {
  it('totals per unit and per provider for credits, never summed across them', () => {
    const s = costSummary([
      j({ provider: 'techforge', costUsed: { amount: 12.5, unit: 'credits' } }),
      j({ provider: 'creatify', costUsed: { amount: 9, unit: 'credits' } }),
      j({ provider: 'creatify', costUsed: { amount: 3, unit: 'credits' } }),
      j({ provider: 'sync', costUsed: { amount: 0.7, unit: 'USD' } }),
      j({ provider: 'aisa', costUsed: { amount: 0.5, unit: 'USD' } }),
      j({ provider: 'aisa', status: 'queued', costEstimate: { amount: 0.8, unit: 'USD' } }),
      j({ provider: 'aisa', status: 'failed', costEstimate: { amount: 5, unit: 'USD' } }),
      j({ provider: 'oshara', status: 'queued' }),
      j({ provider: 'oshara', status: 'running' }),
    ]);
    expect(totalsLabel(s.billed)).toBe('$1.20 · 12 Creatify credits · 12.5 TechForge credits');
    expect(totalsLabel(s.estimated)).toBe('$0.80');
    expect(s.unknown).toEqual([{ provider: 'oshara', count: 2, hint: expect.stringContaining('Oshara publishes no prices') }]);
  });

  it('a free estimate adds no "~free" line', () => {
    const s = costSummary([j({ provider: 'local', costEstimate: { amount: 0, unit: 'USD' } }), j({ provider: 'aisa', status: 'queued', costEstimate: { amount: 0.4, unit: 'USD' } })]);
    expect(totalsLabel(s.estimated)).toBe('$0.40');
    expect(costSummary([j({ provider: 'local', costEstimate: { amount: 0, unit: 'USD' } })]).estimated).toEqual([]);
  });
});

describe('explainCost', () => {
  it('says why the bill differs from the estimate', () => {
    const e = explainCost(
      j({ provider: 'creatify', costEstimate: { amount: 2, unit: 'credits' }, costUsed: { amount: 3, unit: 'credits' }, input: { title: 't', script: 'one two three four five six seven eight nine ten', params: {} } }),
      35,
    );
    expect(e.estimated).toBe('2 Creatify credits');
    expect(e.billed).toBe('3 Creatify credits');
    expect(e.why).toContain('Billed more than estimated');
    expect(e.why).toContain('35 s long, longer than the 4 s estimated from the script');
    expect(e.why).toContain('per started 30 s');
  });

  it('says nothing when they agree; says what to do when nobody knows the price', () => {
    expect(explainCost(j({ costEstimate: { amount: 1, unit: 'USD' }, costUsed: { amount: 1, unit: 'USD' } })).why).toBeNull();
    const unknown = explainCost(j({ provider: 'oshara', status: 'running' }));
    expect(unknown.unknown).toMatch(/Oshara publishes no prices/);
  });
});
