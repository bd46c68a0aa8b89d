import type { ProviderId } from '../../../shared/providers';
import { aisaAdapter } from './aisa';
import { creatifyAdapter } from './creatify';
import { localAdapter } from './local';
import { osharaAdapter } from './oshara';
import { syncAdapter } from './sync';
import { techforgeAdapter } from './techforge';
import type { ProviderAdapter } from './types';

/** Every provider the app drives, local first: it is what a fresh install offers. */
export function allAdapters(): ReadonlyMap<ProviderId, ProviderAdapter> {
  return new Map<ProviderId, ProviderAdapter>([
    ['local', localAdapter],
    ['oshara', osharaAdapter],
    ['techforge', techforgeAdapter],
    ['aisa', aisaAdapter],
    ['sync', syncAdapter],
    ['creatify', creatifyAdapter],
  ]);
}

/** Requests per minute each provider is sent by default (what their docs allow, with margin). */
export const DEFAULT_RPM: Readonly<Record<ProviderId, number>> = {
  oshara: 60,
  techforge: 60,
  aisa: 60,
  // Sync: 600/min on status endpoints, 60–100/min on create; the engine spaces all requests.
  sync: 300,
  creatify: 60,
  local: 6000,
};
