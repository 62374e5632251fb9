import { describe, expect, it } from 'vitest';
import type { FlowEmission } from '../../../core/plugins/plugin.ts';
import { flowRecord, type FlowRecord } from '../../../core/runs/flow-events.ts';

const context = {
  session_id: 's1',
  run_id: 'r1',
  stamp: () => ({ id: 'm1', ts: '2026-01-01T00:00:00.000Z' }),
};

const cases: Array<[string, FlowEmission, FlowRecord]> = [
  [
    'a step opens a step and names it in its event',
    { type: 'step', step: 'retrieval_done' },
    {
      step: 'retrieval_done',
      events: [
        {
          type: 'step',
          step: 'retrieval_done',
          level: undefined,
          message: 'retrieval_done',
          meta: undefined,
        },
      ],
    },
  ],
  [
    'a step keeps its own message, level and meta',
    { type: 'step', step: 'tool_error', message: 'rag_search failed', level: 'error', meta: { code: 'X' } },
    {
      step: 'tool_error',
      events: [
        {
          type: 'step',
          step: 'tool_error',
          level: 'error',
          message: 'rag_search failed',
          meta: { code: 'X' },
        },
      ],
    },
  ],
  [
    'progress is one progress event and opens no step',
    { type: 'progress', message: 'half way', step: 'grading', level: 'info', meta: { done: 1 } },
    {
      events: [{ type: 'progress', step: 'grading', level: 'info', message: 'half way', meta: { done: 1 } }],
    },
  ],
  [
    'a message is stored, and its event names it and its role',
    { type: 'message', role: 'assistant', content: 'hi', meta: { lang: 'en' } },
    {
      events: [
        {
          type: 'message',
          tool: undefined,
          message: 'hi',
          meta: { lang: 'en', role: 'assistant', message_id: 'm1' },
        },
      ],
      messages: [
        {
          id: 'm1',
          session_id: 's1',
          run_id: 'r1',
          role: 'assistant',
          content: 'hi',
          tool: null,
          ts: '2026-01-01T00:00:00.000Z',
        },
      ],
    },
  ],
  [
    "a tool's message keeps its tool; meta cannot override role or id",
    {
      type: 'message',
      role: 'tool',
      content: '3 hits',
      tool: 'rag_search',
      meta: { role: 'x', message_id: 'y' },
    },
    {
      events: [
        {
          type: 'message',
          tool: 'rag_search',
          message: '3 hits',
          meta: { role: 'tool', message_id: 'm1' },
        },
      ],
      messages: [
        {
          id: 'm1',
          session_id: 's1',
          run_id: 'r1',
          role: 'tool',
          content: '3 hits',
          tool: 'rag_search',
          ts: '2026-01-01T00:00:00.000Z',
        },
      ],
    },
  ],
  [
    'data is merged into the session, its event names only the keys',
    { type: 'data', data: { topic: 'rxjs', api_key: 'k' } },
    {
      events: [
        {
          type: 'session.updated',
          message: 'session data updated',
          meta: { data_keys: ['topic', 'api_key'] },
        },
      ],
      data: { topic: 'rxjs', api_key: 'k' },
    },
  ],
  [
    'a result writes no event; it rides on the run record',
    { type: 'result', result: { score: 3 } },
    { events: [], result: { value: { score: 3 } } },
  ],
  [
    'a null result is still a result',
    { type: 'result', result: null },
    { events: [], result: { value: null } },
  ],
];

describe('flowRecord: one flow emission → events and stored state', () => {
  it.each(cases)('%s', (_name, emission, expected) => {
    expect(flowRecord(emission, context)).toStrictEqual(expected);
  });

  it('stamps only what it stores: no id is taken for an emission that stores no message', () => {
    let stamps = 0;
    const counting = { ...context, stamp: () => (stamps++, context.stamp()) };
    for (const [, emission] of cases) flowRecord(emission, counting);
    expect(stamps).toBe(cases.filter(([, emission]) => emission.type === 'message').length);
  });
});
