import { describe, expect, it } from 'vitest';
import { DEMO_CORPUS } from '../../../demo-backends/corpus.ts';
import type { Passage } from '../../../demo-backends/corpus.ts';
import { SearchIndex } from '../../../demo-backends/search.ts';
import { tokenize } from '../../../demo-backends/text.ts';

describe('tokenize', () => {
  it('lowercases, splits on punctuation, drops stopwords and folds plurals', () => {
    expect(tokenize('How does mergeMap limit its inner subscriptions?')).toEqual([
      'mergemap',
      'limit',
      'inner',
      'subscription',
    ]);
    expect(tokenize('Socket.IO rooms, @koa/router!')).toEqual(['socket', 'io', 'room', 'koa', 'router']);
  });

  it('keeps words that only look plural', () => {
    expect(tokenize('process status')).toEqual(['process', 'status']);
  });
});

describe('the demo corpus', () => {
  it('has 20 to 30 passages with unique ids and a source for each', () => {
    expect(DEMO_CORPUS.length).toBeGreaterThanOrEqual(20);
    expect(DEMO_CORPUS.length).toBeLessThanOrEqual(30);
    expect(new Set(DEMO_CORPUS.map((passage) => passage.id)).size).toBe(DEMO_CORPUS.length);
    for (const passage of DEMO_CORPUS) expect(passage.source).toMatch(/^[a-z-]+\.md#[a-z0-9-]+$/);
  });
});

describe('SearchIndex', () => {
  const index = new SearchIndex(DEMO_CORPUS);

  it.each([
    ['mergeMap concurrency', 'rxjs-mergemap'],
    ['Socket.IO rooms', 'socketio-rooms'],
    ['W3C traceparent header', 'otel-propagation'],
    ['problem+json error body', 'openapi-problem-details'],
    ['Koa onion model', 'koa-middleware'],
  ])('ranks the passage about %j first', (query, id) => {
    expect(index.search(query, 3)[0]?.id).toBe(id);
  });

  it('is deterministic: a second index gives the same chunks in the same order', () => {
    const again = new SearchIndex(DEMO_CORPUS);
    for (const query of ['Observable', 'span trace id', 'koa error handling']) {
      expect(again.search(query, 10)).toEqual(index.search(query, 10));
    }
  });

  it('scores in [0, 1], sorted by score descending and then id ascending', () => {
    const chunks = index.search('Observable source subscription', 30);
    expect(chunks.length).toBeGreaterThan(3);
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.score).toBeGreaterThan(0);
      expect(chunk.score).toBeLessThanOrEqual(1);
      const next = chunks[i + 1];
      if (next !== undefined) {
        expect(chunk.score > next.score || (chunk.score === next.score && chunk.id < next.id)).toBe(true);
      }
    }
  });

  it('breaks ties by id and scores an exact match 1', () => {
    const twins: Passage[] = [
      { id: 'b', source: 'b.md', text: 'Backpressure buffers values.' },
      { id: 'a', source: 'a.md', text: 'Backpressure buffers values.' },
      { id: 'c', source: 'c.md', text: 'Unrelated passage about spans.' },
    ];
    const chunks = new SearchIndex(twins).search('backpressure buffers values', 5);
    expect(chunks.map((chunk) => [chunk.id, chunk.score])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('returns nothing for an unrelated, stopword-only or empty query, or top_k 0', () => {
    expect(index.search('kubernetes helm', 4)).toEqual([]);
    expect(index.search('what is the', 4)).toEqual([]);
    expect(index.search('', 4)).toEqual([]);
    expect(index.search('mergeMap', 0)).toEqual([]);
  });

  it('refuses duplicate passage ids', () => {
    const passage = { id: 'x', source: 'x.md', text: 'text' };
    expect(() => new SearchIndex([passage, passage])).toThrow(/duplicate passage id "x"/);
  });
});
