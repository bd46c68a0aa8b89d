import type { ProviderSpec } from '../../shared/provider-spec';
import type { ProviderId } from '../../shared/providers';
import { aisaSpec } from '../../shared/providers/aisa';
import { creatifySpec } from '../../shared/providers/creatify';
import { localSpec } from '../../shared/providers/local';
import { osharaSpec } from '../../shared/providers/oshara';
import { syncSpec } from '../../shared/providers/sync';
import { techforgeSpec } from '../../shared/providers/techforge';

/** The pure provider specs (shared/), for live limits, cost estimates and parameter forms. */
export const SPECS: Readonly<Record<ProviderId, ProviderSpec>> = {
  local: localSpec,
  oshara: osharaSpec,
  techforge: techforgeSpec,
  aisa: aisaSpec,
  sync: syncSpec,
  creatify: creatifySpec,
};
