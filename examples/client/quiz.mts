// A quiz run through the typed client, start to finish. `.mts`: an ES module wherever the file is saved,
// so top-level await works. Outside the repo, import the client from your checkout's clients/api-client.ts.
import { createTributaryClient } from '../../clients/api-client.ts';

const api = createTributaryClient({
  baseUrl: process.env.TRIBUTARY_URL ?? 'http://127.0.0.1:3000',
  apiKey: process.env.TRIBUTARY_API_KEY,
});

const { data: session, error } = await api.POST('/v1/sessions', { body: { user_id: 'ann' } });
if (!session) throw new Error(`no session: ${error.detail} (${error.code})`);
const path = { session_id: session.id };
const created = await api.POST('/v1/sessions/{session_id}/runs', {
  params: { path },
  body: { input: { question: 'Quiz me on RxJS mergeMap' }, flow: 'quiz' },
});
if (!created.data) throw new Error(`no run: ${created.error.detail} (${created.error.code})`);

// 202: the run is queued or running. Poll it until it ends (or follow GET …/events/stream over SSE).
let run = created.data;
while (run.status === 'queued' || run.status === 'running') {
  await new Promise((resolve) => setTimeout(resolve, 250));
  const polled = await api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
    params: { path: { ...path, run_id: run.id } },
  });
  if (!polled.data) throw new Error(`run lost: ${polled.error.detail} (${polled.error.code})`);
  run = polled.data;
}
console.log(`run ${run.id} ${run.status}`);
const { data: messages } = await api.GET('/v1/sessions/{session_id}/messages', { params: { path } });
console.log(messages?.items.at(-1)?.content);
