import { m0001InitialSchema } from './0001-initial-schema';
import { m0002JobControlColumns } from './0002-job-control-columns';
import type { Migration } from './types';

/**
 * Every migration, in order: one file each, each with its own test (test/unit/migrations/).
 * Never edit a shipped migration: add the next number.
 */
export const MIGRATIONS: readonly Migration[] = [m0001InitialSchema, m0002JobControlColumns];
