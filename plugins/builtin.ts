import type { Plugin } from '../core/index.ts';
import { answerFlow } from './answer/index.ts';
import { autoFlow } from './auto/index.ts';
import { builtinTools, type BuiltinToolsOptions } from './builtin-tools.ts';
import { gradeFlow } from './grade/index.ts';
import { quizFlow } from './quiz/index.ts';

export const builtinFlows = [quizFlow, answerFlow, gradeFlow, autoFlow];

/**
 * Every built-in plugin: the five tools (bound to their backends), the quiz, answer and grade flows, and
 * `auto`, which runs the one the planner's intent names.
 *
 * @example
 * ```ts
 * const plugins = builtinPlugins({ ragUrl: 'http://127.0.0.1:8101', examUrl: 'http://127.0.0.1:8102' });
 * ```
 */
export function builtinPlugins(options: BuiltinToolsOptions): Plugin[] {
  return [...builtinTools(options), ...builtinFlows];
}
