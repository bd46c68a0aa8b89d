/**
 * Which fake requests are status checks: GETs of a job (or of a list of jobs), per provider.
 * Creates, uploads, sign-ins, signed-URL exchanges and file downloads are not.
 * `single` captures the provider's job id, so a re-read made by the download stage can be told
 * apart from a poll (it comes after the job was noticed as finished).
 */
export const STATUS_ROUTES = {
  oshara: { list: /^\/api\/video-jobs\/$/, single: /^\/api\/video-jobs\/(\d+)\/$/ },
  techforge: { list: null, single: /^\/jobs\/([0-9a-f-]{36})$/ },
  aisa: { list: /^\/v1\/videos$/, single: /^\/v1\/videos\/([^/]+)$/ },
  sync: { list: /^\/v2\/(?:generations|generate)$/, single: /^\/v2\/generate\/([^/]+)$/ },
  creatify: { list: /^\/api\/(?:aurora|lipsyncs|custom_template_jobs)\/$/, single: /^\/api\/(?:aurora|lipsyncs|custom_template_jobs)\/([^/]+)\/$/ },
} as const;

export type CloudProvider = keyof typeof STATUS_ROUTES;
export const CLOUD: readonly CloudProvider[] = ['oshara', 'techforge', 'aisa', 'sync', 'creatify'];

export type LoggedRequest = Readonly<{ provider: CloudProvider; method: string; path: string; at: number; status: number | null; query: Readonly<Record<string, string>> }>;

export type StatusKind = 'list' | 'single' | null;

export function statusKind(r: Pick<LoggedRequest, 'provider' | 'method' | 'path'>): { kind: StatusKind; id: string | null } {
  if (r.method !== 'GET') return { kind: null, id: null };
  const routes = STATUS_ROUTES[r.provider];
  if (routes.list?.test(r.path)) return { kind: 'list', id: null };
  const m = routes.single.exec(r.path);
  return m ? { kind: 'single', id: m[1]! } : { kind: null, id: null };
}
