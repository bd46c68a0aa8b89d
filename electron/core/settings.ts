import { settingsSchema, type Settings, type SettingsPatch } from '../../shared/settings';
import { templateIssues } from '../../shared/naming';
import { AppError } from '../../shared/result';
import type { SettingsRepo } from './db/settings';

/** Typed settings over the key/value table, validated on every write, cached between writes. */
export class SettingsService {
  private cache: Settings | null = null;

  constructor(
    private readonly repo: SettingsRepo,
    private readonly onChange: (s: Settings) => void = () => {},
  ) {}

  get(): Settings {
    if (!this.cache) {
      const parsed = settingsSchema.safeParse(this.repo.all());
      // A setting written by a newer version or edited by hand must not stop the app: drop what is invalid.
      this.cache = parsed.success ? parsed.data : settingsSchema.parse(this.dropInvalid(this.repo.all()));
    }
    return this.cache;
  }

  set(patch: SettingsPatch): Settings {
    const next = settingsSchema.safeParse({ ...this.get(), ...patch });
    if (!next.success) {
      throw new AppError(
        'invalid_settings',
        'Some settings are not valid',
        next.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      );
    }
    if (patch.fileNameTemplate !== undefined) {
      const issues = templateIssues(patch.fileNameTemplate);
      if (issues.length) throw new AppError('invalid_settings', 'The file name template is not valid', issues);
    }
    const toWrite: Record<string, unknown> = {};
    for (const k of Object.keys(patch) as (keyof Settings)[]) toWrite[k] = next.data[k] ?? null;
    this.repo.set(toWrite);
    this.cache = next.data;
    this.onChange(next.data);
    return next.data;
  }

  private dropInvalid(raw: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) {
      const one = settingsSchema.safeParse({ [k]: v });
      if (one.success) out[k] = v;
    }
    return out;
  }
}
