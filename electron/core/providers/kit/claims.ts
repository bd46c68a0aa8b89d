import type { ProviderStateStore } from '../types';

/**
 * Which provider job belongs to which local job, for providers whose lost creates are found again by
 * looking through a list (title, prompt and time): two identical rows sent a second apart must never
 * both take the same provider job. Every create that gets an answer claims its id; reconcile only
 * hands out unclaimed ones (or the job's own) and claims what it hands out.
 *
 * Kept in the provider's small state store under a key of the adapter's (existing installs keep
 * theirs), newest last, at most `max` entries: a claim only matters while its job could still be lost.
 */
export type Claims = Readonly<{
  /** The local job that holds a provider job, or undefined. */
  ownerOf(providerJobId: string): string | undefined;
  /** True when the provider job is free, or already this local job's. */
  freeFor(localJobId: string): (providerJobId: string) => boolean;
  claim(providerJobId: string, localJobId: string): void;
}>;

export function claimsIn(state: ProviderStateStore, key: string, max = 500): Claims {
  const read = (): [string, string][] => {
    let v: unknown;
    try {
      v = JSON.parse(state.get(key) ?? '[]');
    } catch {
      return [];
    }
    // Two stored shapes from before the kit: [[provider, local], …] (Oshara) and {provider: local} (aisa).
    const pairs = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.entries(v) : [];
    return pairs.filter((x): x is [string, string] => Array.isArray(x) && typeof x[0] === 'string' && typeof x[1] === 'string');
  };
  const ownerOf = (providerJobId: string): string | undefined => read().find(([p]) => p === providerJobId)?.[1];
  return {
    ownerOf,
    freeFor: (localJobId) => {
      const owners = new Map(read());
      return (providerJobId) => {
        const owner = owners.get(providerJobId);
        return owner === undefined || owner === localJobId;
      };
    },
    claim: (providerJobId, localJobId) => {
      const pairs = read().filter(([p]) => p !== providerJobId);
      pairs.push([providerJobId, localJobId]);
      state.set(key, JSON.stringify(pairs.slice(-max)));
    },
  };
}
