import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '../core/plugins/plugin-registry.ts';
import { EXAM, RAG } from '../tests/fixtures/tool-samples.ts';
import { builtinTools } from './builtin-tools.ts';

// Each tool's conformance run lives in its own test file (`plugins/<name>/index.test.ts`).
describe('builtinTools', () => {
  it('makes the five built-in tools, which register together', () => {
    const tools = builtinTools({ ragUrl: RAG, examUrl: EXAM });
    const registry = new PluginRegistry().register(tools).validate();
    expect(registry.tools().map((tool) => tool.name)).toEqual([
      'compose_answer',
      'generate_exam',
      'grade_exam',
      'planner',
      'rag_search',
    ]);
  });

  it('refuses a backend URL that is not an absolute http(s) URL, without echoing it', () => {
    expect(() => builtinTools({ ragUrl: 'rag.test', examUrl: EXAM })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        field: 'rag_search.baseUrl',
        message: 'rag_search: baseUrl must be an absolute http(s) URL',
      }),
    );
  });
});
