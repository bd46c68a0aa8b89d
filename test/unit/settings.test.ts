import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError, type Issue } from '../../shared/result';
import { DEFAULT_FILE_TEMPLATE, settingsSchema, type Settings } from '../../shared/settings';
import { openDatabase, type Db } from '../../electron/core/db/open';
import { SettingsRepo } from '../../electron/core/db/settings';
import { SettingsService } from '../../electron/core/settings';

let dir: string;
let db: Db;
let repo: SettingsRepo;
let changes: Settings[];
let service: SettingsService;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-settings-'));
  db = openDatabase(path.join(dir, 'talkbatch.db'));
  repo = new SettingsRepo(db);
  changes = [];
  service = new SettingsService(repo, (s) => changes.push(s));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function rejection(patch: Parameters<SettingsService['set']>[0]): AppError {
  try {
    service.set(patch);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error(`${JSON.stringify(patch)} was accepted`);
}

const fields = (e: AppError): string[] => (e.issues ?? []).map((i: Issue) => i.field);

describe('SettingsService', () => {
  it('has the documented defaults on a fresh database', () => {
    expect(service.get()).toEqual({
      fileNameTemplate: DEFAULT_FILE_TEMPLATE,
      baseUrls: {},
      concurrency: {},
      rateLimits: {},
      notifications: { batchDone: true, failures: true },
      stallMinutes: 45,
      queuePaused: false,
      aisaEnabled: false,
      closeToTray: true,
    });
  });

  it('stores valid changes, notifies, and a new service reads them back', () => {
    const next = service.set({ concurrency: { sync: 4 }, aisaEnabled: true, baseUrls: { sync: 'http://127.0.0.1:9999' } });
    expect(next).toMatchObject({ concurrency: { sync: 4 }, aisaEnabled: true, baseUrls: { sync: 'http://127.0.0.1:9999' } });
    expect(changes).toHaveLength(1);
    const again = new SettingsService(repo).get();
    expect(again).toEqual(next);
    // Only the keys of the patch are written.
    expect(Object.keys(repo.all()).sort()).toEqual(['aisaEnabled', 'baseUrls', 'concurrency']);
  });

  it('removes a setting set to undefined (back to its default)', () => {
    service.set({ libraryDir: '/videos' });
    expect(service.get().libraryDir).toBe('/videos');
    service.set({ libraryDir: undefined });
    expect(service.get().libraryDir).toBeUndefined();
    expect(repo.all()).not.toHaveProperty('libraryDir');
  });

  it.each([
    [{ concurrency: { sync: 0 } }, 'concurrency.sync'],
    [{ concurrency: { sync: 1.5 } }, 'concurrency.sync'],
    [{ concurrency: { sync: 65 } }, 'concurrency.sync'],
    [{ rateLimits: { creatify: -1 } }, 'rateLimits.creatify'],
    [{ baseUrls: { sync: 'ftp://files.example.com' } }, 'baseUrls.sync'],
    [{ baseUrls: { sync: 'not a url' } }, 'baseUrls.sync'],
    [{ stallMinutes: 0 }, 'stallMinutes'],
    [{ stallMinutes: 24 * 60 + 1 }, 'stallMinutes'],
    [{ fileNameTemplate: '' }, 'fileNameTemplate'],
    [{ fileNameTemplate: 'x'.repeat(201) }, 'fileNameTemplate'],
    [{ queuePaused: 'yes' }, 'queuePaused'],
    [{ libraryDir: '' }, 'libraryDir'],
    [{ assetHost: { endpoint: 'javascript:alert(1)', bucket: 'b' } }, 'assetHost.endpoint'],
    [{ assetHost: { endpoint: 'https://s3.example.com', bucket: '' } }, 'assetHost.bucket'],
    [{ notifications: { batchDone: 'no' } }, 'notifications.batchDone'],
  ])('rejects %j, naming the field', (patch, field) => {
    const before = repo.all();
    const e = rejection(patch as Parameters<SettingsService['set']>[0]);
    expect(e.code).toBe('invalid_settings');
    expect(fields(e)).toContain(field);
    for (const i of e.issues ?? []) expect(i.message).toMatch(/\S/);
    // Nothing was written, nothing announced, the cache still holds the old values.
    expect(repo.all()).toEqual(before);
    expect(changes).toEqual([]);
    expect(service.get()).toEqual(settingsSchema.parse({}));
  });

  it.each([
    ['../{title}', 'must not contain / \\ or ..'],
    ['{title}/{row}', 'must not contain / \\ or ..'],
    ['{row}-{name}', 'unknown token {name}'],
  ])('rejects the file name template %j with what is accepted', (template, message) => {
    const e = rejection({ fileNameTemplate: template });
    expect(e.message).toBe('The file name template is not valid');
    expect(e.issues).toContainEqual(expect.objectContaining({ field: 'fileNameTemplate', message, accepted: expect.stringContaining('{title}') }));
    expect(service.get().fileNameTemplate).toBe(DEFAULT_FILE_TEMPLATE);
  });

  it('accepts a good template', () => {
    expect(service.set({ fileNameTemplate: '{date}_{batch}_{row}_{title}' }).fileNameTemplate).toBe('{date}_{batch}_{row}_{title}');
  });

  it('drops a stored value that is not valid (edited by hand, written by a newer version) and keeps the rest', () => {
    repo.set({ stallMinutes: 'soon', concurrency: { sync: 3 }, fileNameTemplate: 42, aisaEnabled: true });
    const fresh = new SettingsService(repo).get();
    expect(fresh).toMatchObject({ stallMinutes: 45, concurrency: { sync: 3 }, fileNameTemplate: DEFAULT_FILE_TEMPLATE, aisaEnabled: true });
  });
});
