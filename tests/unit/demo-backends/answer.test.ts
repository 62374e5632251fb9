import { describe, expect, it } from 'vitest';
import { composeAnswer } from '../../../demo-backends/answer.ts';
import { DEMO_CORPUS } from '../../../demo-backends/corpus.ts';
import { SearchIndex } from '../../../demo-backends/search.ts';

describe('composeAnswer', () => {
  const index = new SearchIndex(DEMO_CORPUS);
  const answer = (question: string) => composeAnswer(question, index.search(question, 4));

  it('quotes the sentence closest to the question and cites its source', () => {
    expect(answer('What limits mergeMap concurrency?')).toBe(
      'The optional concurrent argument of mergeMap sets the concurrency limit: extra source values wait in a ' +
        'buffer until an active inner subscription completes. [rxjs-guide.md#mergemap]',
    );
  });

  it('quotes the sentence before one that opens with a pronoun', () => {
    expect(answer('typeahead search')).toMatch(/^switchMap unsubscribes .* It suits typeahead search/);
  });

  it('says what the demo corpus covers when nothing matches', () => {
    expect(answer('tell me about kubernetes')).toBe(
      'The demo corpus has no passage about "tell me about kubernetes". ' +
        'It covers RxJS, Koa, Socket.IO, OpenAPI and OpenTelemetry.',
    );
  });
});
