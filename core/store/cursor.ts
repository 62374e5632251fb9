import { TributaryError } from '../errors.ts';

/**
 * Where a `listSessions` page ended: the sort key of its last item.
 * Pages are ordered newest first (`created_at DESC, id DESC`), so the next page starts strictly after it.
 */
export interface SessionCursor {
  created_at: string;
  id: string;
}

/** Encodes a position as the opaque cursor clients pass back: base64url of `[created_at, id]`. */
export function encodeCursor(position: SessionCursor): string {
  return Buffer.from(JSON.stringify([position.created_at, position.id]), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; anything else throws `INVALID_CURSOR`. */
export function decodeCursor(cursor: string): SessionCursor {
  const decoded = Buffer.from(cursor, 'base64url');
  // Node's base64url decoder skips characters it does not know; re-encoding catches such input.
  if (cursor.length === 0 || decoded.toString('base64url') !== cursor) throw invalidCursor();
  let value: unknown;
  try {
    value = JSON.parse(decoded.toString('utf8'));
  } catch (cause) {
    throw invalidCursor(cause);
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalidCursor();
  const [createdAt, id] = value as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string') throw invalidCursor();
  return { created_at: createdAt, id };
}

/** True when `item` comes after `cursor` in the newest-first order, i.e. belongs to the next page. */
export function isAfterCursor(item: SessionCursor, cursor: SessionCursor): boolean {
  if (item.created_at !== cursor.created_at) return item.created_at < cursor.created_at;
  return item.id < cursor.id;
}

/** Newest-first comparator matching the SQL `ORDER BY created_at DESC, id DESC`. */
export function compareNewestFirst(a: SessionCursor, b: SessionCursor): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  if (a.id !== b.id) return a.id < b.id ? 1 : -1;
  return 0;
}

function invalidCursor(cause?: unknown): TributaryError {
  return new TributaryError('INVALID_CURSOR', 'cursor is not a cursor this server issued', {
    field: 'cursor',
    ...(cause === undefined ? {} : { cause }),
  });
}
