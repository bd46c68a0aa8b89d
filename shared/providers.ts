/** Provider ids used everywhere: database rows, contract, CLI, CSV files, env variable names. */
export const PROVIDER_IDS = ['oshara', 'techforge', 'aisa', 'sync', 'creatify', 'local'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export const CLOUD_PROVIDER_IDS = ['oshara', 'techforge', 'aisa', 'sync', 'creatify'] as const satisfies readonly ProviderId[];

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && (PROVIDER_IDS as readonly string[]).includes(value);
}

export const PROVIDER_NAMES: Readonly<Record<ProviderId, string>> = {
  oshara: 'Oshara',
  techforge: 'TechForge Innovate',
  aisa: 'aisa.one (Sora 2)',
  sync: 'Sync.so',
  creatify: 'Creatify',
  local: 'Local draft',
};

/** Env variable prefix for a provider: TALKBATCH_SYNC_BASE_URL, TALKBATCH_SYNC_API_KEY, … */
export function providerEnvPrefix(id: ProviderId): string {
  return `TALKBATCH_${id.toUpperCase()}`;
}
