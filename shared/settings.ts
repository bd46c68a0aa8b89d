import { z } from 'zod';
import { PROVIDER_IDS } from './providers';

/** Every setting with its default. Stored per key in SQLite; validated on every write. */
const providerRecord = <T extends z.ZodType>(v: T) => z.partialRecord(z.enum(PROVIDER_IDS), v);

export const DEFAULT_FILE_TEMPLATE = '{row}-{title}-{provider}';

export const settingsSchema = z.object({
  /** Where finished videos go; default <data dir>/Library. */
  libraryDir: z.string().min(1).optional(),
  fileNameTemplate: z.string().min(1).max(200).default(DEFAULT_FILE_TEMPLATE),
  baseUrls: providerRecord(z.url({ protocol: /^https?$/ })).default({}),
  concurrency: providerRecord(z.int().min(1).max(64)).default({}),
  /** Requests per minute per provider (0 = the provider default). */
  rateLimits: providerRecord(z.int().min(1).max(6000)).default({}),
  /** The S3-compatible bucket that gives URL-only providers (TechForge, Creatify) public URLs for local files. */
  assetHost: z
    .object({
      endpoint: z.url({ protocol: /^https?$/ }),
      region: z.string().min(1).default('auto'),
      bucket: z.string().min(1),
      /** Public base URL objects are reachable at (e.g. an R2 public bucket URL); default endpoint/bucket. */
      publicBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
      prefix: z.string().default('talkbatch/'),
      pathStyle: z.boolean().default(true),
    })
    .optional(),
  notifications: z.object({ batchDone: z.boolean().default(true), failures: z.boolean().default(true) }).default({ batchDone: true, failures: true }),
  /** Minutes without progress before a running job is marked stalled. */
  stallMinutes: z.int().min(1).max(24 * 60).default(45),
  queuePaused: z.boolean().default(false),
  /** aisa.one is off by default: OpenAI retired the Sora 2 API on 2026-09-24. */
  aisaEnabled: z.boolean().default(false),
  closeToTray: z.boolean().default(true),
});

export type Settings = z.output<typeof settingsSchema>;
export type SettingsPatch = Partial<z.input<typeof settingsSchema>>;

export const TEMPLATE_TOKENS = ['{row}', '{title}', '{provider}', '{batch}', '{date}', '{job}', '{model}'] as const;
