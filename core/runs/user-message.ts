import type { Message } from '../events/message.ts';
import { newId } from '../uuid.ts';
import type { Run } from './run.ts';

/** The run's question (`input.question`) as the session's user message; none when it has no question. */
export function userMessage(run: Run): Message[] {
  const question = run.input.question;
  if (typeof question !== 'string') return [];
  return [
    {
      id: newId(),
      session_id: run.session_id,
      run_id: run.id,
      role: 'user',
      content: question,
      tool: null,
      ts: run.created_at,
    },
  ];
}
