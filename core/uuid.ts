import { randomUUID } from 'node:crypto';

/** A v4 uuid: every id the core makes. */
export const newId = (): string => randomUUID();

/** Current time as the ISO string all records carry. */
export const nowIso = (now: number = Date.now()): string => new Date(now).toISOString();
