import { AwsClient } from 'aws4fetch';
import { sanitizeName } from '../../../shared/naming';
import type { Settings } from '../../../shared/settings';
import type { AssetRepo } from '../db/assets';
import { ProviderError } from '../providers/http';
import type { Vault } from '../secrets/vault';
import { ASSET_HOST } from '../secrets/vault';
import type { AssetStore } from './store';
import { bestEffortWrite } from '../storage';

/**
 * Public URLs for local files, for the providers that only take URLs (TechForge, Creatify). Files go
 * to the user's own S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO) with SigV4
 * signed PUTs (aws4fetch), streamed from disk, once per asset and bucket: the URL is remembered and
 * reused by every row that uses the same file.
 */
export const ASSET_HOST_FIELDS = [
  { key: 'accessKeyId', label: 'Access key ID', secret: true },
  { key: 'secretAccessKey', label: 'Secret access key', secret: true },
] as const;

export class AssetHost {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly settings: () => Settings,
    private readonly vault: Vault,
    private readonly repo: AssetRepo,
    private readonly store: AssetStore,
  ) {}

  configured(): boolean {
    return !!this.settings().assetHost && this.vault.configured(ASSET_HOST);
  }

  async publicUrl(assetId: string, forProvider: string): Promise<string> {
    const cfg = this.settings().assetHost;
    const creds = this.vault.resolve(ASSET_HOST);
    if (!cfg || !creds?.accessKeyId || !creds.secretAccessKey) {
      throw new ProviderError(
        'permanent',
        `${forProvider} only accepts public URLs. Set up an asset host (an S3, R2, B2 or MinIO bucket) in Settings → Asset host so local files can be uploaded, or give http(s) URLs in the batch.`,
        { code: 'asset_host_missing' },
      );
    }
    const target = `s3:${cfg.endpoint.replace(/\/+$/, '')}/${cfg.bucket}`;
    const known = this.repo.upload(assetId, target);
    if (known) return known;
    const inFlight = this.pending.get(`${target}:${assetId}`);
    if (inFlight) return await inFlight;
    const p = this.upload(assetId, cfg, creds, target).finally(() => this.pending.delete(`${target}:${assetId}`));
    this.pending.set(`${target}:${assetId}`, p);
    return await p;
  }

  private async upload(assetId: string, cfg: NonNullable<Settings['assetHost']>, creds: Readonly<Record<string, string>>, target: string): Promise<string> {
    const info = this.store.info(assetId);
    const key = `${cfg.prefix}${assetId.slice(0, 16)}/${encodeURIComponent(sanitizeName(info.name, 'file'))}`;
    const endpoint = new URL(cfg.endpoint);
    const base = cfg.pathStyle
      ? `${endpoint.origin}${endpoint.pathname.replace(/\/+$/, '')}/${cfg.bucket}`
      : `${endpoint.protocol}//${cfg.bucket}.${endpoint.host}${endpoint.pathname.replace(/\/+$/, '')}`;
    const url = `${base}/${key}`;
    const client = new AwsClient({ accessKeyId: creds.accessKeyId!, secretAccessKey: creds.secretAccessKey!, region: cfg.region, service: 's3' });
    let res: Response;
    try {
      res = await client.fetch(url, {
        method: 'PUT',
        body: await this.store.blob(assetId),
        // The asset id is the sha256 of the bytes: the payload is signed without reading it twice.
        // No content-length header: fetch sets it from the file-backed Blob, and undici refuses a
        // request that names it too ("invalid content-length header"); SigV4 does not sign it.
        headers: { 'content-type': info.mime, 'x-amz-content-sha256': assetId },
      });
    } catch (e) {
      throw new ProviderError('transient', `Uploading ${info.name} to the asset host failed: ${(e as Error).message}`, { code: 'asset_upload_network', cause: e });
    }
    if (!res.ok) {
      const body = (await res.text()).slice(0, 300);
      const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? `http_${res.status}`;
      const kind = res.status === 403 || res.status === 401 ? 'auth' : res.status >= 500 ? 'transient' : 'permanent';
      throw new ProviderError(kind, `The asset host refused the upload of ${info.name} (HTTP ${res.status} ${code}). Check the bucket, endpoint and keys in Settings → Asset host.`, {
        status: res.status,
        code: 'asset_upload_failed',
      });
    }
    const publicUrl = cfg.publicBaseUrl ? `${cfg.publicBaseUrl.replace(/\/+$/, '')}/${key}` : url;
    // Remembering saves a later upload; a full disk must not fail the job the upload was for.
    bestEffortWrite(() => this.repo.rememberUpload(assetId, target, publicUrl));
    return publicUrl;
  }
}
