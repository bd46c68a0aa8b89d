import { describe, expect, it } from 'vitest';
import { providerOff } from '../../../shared/provider-spec';
import { PROVIDER_IDS } from '../../../shared/providers';
import { settingsSchema } from '../../../shared/settings';
import { allAdapters } from '../../../electron/core/providers';

/**
 * Facts about a provider that the app acts on outside its adapter (the handlers, admission, the queue)
 * are read from its spec, so one file says them: which providers need an asset host, which are off
 * until switched on and what is said while they are off.
 */
const specs = [...allAdapters().values()].map((a) => a.describe());
const defaults = settingsSchema.parse({});

describe('provider facts in the specs', () => {
  it('every provider has a spec', () => {
    expect(specs.map((s) => s.id).sort()).toEqual([...PROVIDER_IDS].sort());
  });

  it('TechForge and Creatify take only public links, so they need the asset host; the others upload', () => {
    expect(specs.filter((s) => s.needsAssetHost).map((s) => s.id).sort()).toEqual(['creatify', 'techforge']);
  });

  it('aisa.one is off by default with its reason; on when its switch is on; every other provider is never off', () => {
    const aisa = specs.find((s) => s.id === 'aisa')!;
    expect(aisa.enabledBy?.setting).toBe('aisaEnabled');
    expect(providerOff(aisa, defaults)).toBe(
      'aisa.one is turned off: OpenAI retired the Sora 2 API on 2026-09-24. Turn it on in Settings → Providers if your aisa account still renders videos.',
    );
    expect(providerOff(aisa, { ...defaults, aisaEnabled: true })).toBeNull();
    for (const s of specs.filter((x) => x.id !== 'aisa')) expect(providerOff(s, defaults)).toBeNull();
  });
});
