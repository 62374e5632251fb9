import { pino } from 'pino';
import { lastValueFrom, takeWhile, tap } from 'rxjs';
import { defineFlow, defineTool, loadConfig, Runtime } from '../../core/index.ts';
import { MemoryStore } from '../../stores/index.ts';

const shout = defineTool<{ text: string }, { upper: string }>({
  name: 'shout',
  version: '1.0.0',
  description: 'Upper-cases text',
  input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  output: { type: 'object', properties: { upper: { type: 'string' } }, required: ['upper'] },
  async execute({ text }, ctx) {
    ctx.progress('shouting');
    return { upper: text.toUpperCase() };
  },
});

const echo = defineFlow<{ question: string }>({
  name: 'echo',
  version: '1.0.0',
  description: 'Shouts the question back',
  tools: ['shout'],
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  async *execute(input, ctx) {
    yield { type: 'step', step: 'shouting' };
    const out = await lastValueFrom(ctx.callTool<{ upper: string }>('shout', { text: input.question }));
    yield { type: 'message', role: 'assistant', content: out.upper };
    yield { type: 'result', result: out };
  },
});

const runtime = await Runtime.start({
  // DEFAULT_FLOW is the flow of runs that name none: one of ours, as the built-in ones are not loaded here.
  config: loadConfig({ ...process.env, DEFAULT_FLOW: 'echo' }),
  // Nothing kept after exit; SqliteStore.open({ path: './data/echo.db' }) would keep every event.
  store: new MemoryStore(),
  plugins: [shout, echo],
  // Operator logs (JSON lines) would mix with the events printed below: warnings only.
  logger: pino({ level: 'warn' }),
});
const session = await runtime.sessions.create({ user_id: 'ann' });
// The session's events, stored then live, until the run's terminal event (always the run's last).
const printed = lastValueFrom(
  runtime.events.events$(session.id).pipe(
    tap((event) => console.log(event.seq, event.type, event.message)),
    takeWhile((event) => !['run.completed', 'run.failed', 'run.cancelled'].includes(event.type), true),
  ),
);
await runtime.runs.create(session.id, { input: { question: 'hello' }, flow: 'echo' });
await printed;
// Stops the sweeper's timer and closes the store: without it the process never exits.
await runtime.shutdown();
