/**
 * Demo backends: small Koa services that serve the RAG and exam contracts of `plugins/contracts.ts`
 * from bundled demo data, so the platform runs with no outside service. Not test doubles: they are
 * what `npm start` talks to when `RAG_URL` / `EXAM_URL` are unset.
 */
export { DEMO_CORPUS } from './corpus.ts';
export type { Passage } from './corpus.ts';
export { DEMO_HEADER } from './demo-app.ts';
export { readDemoEnv, readDemoFaults } from './demo-env.ts';
export type { DemoEnv, DemoFaultEnv } from './demo-env.ts';
export type { DemoAppOptions, DemoHealth, DemoService } from './demo-app.ts';
export { createExamApp } from './exam-app.ts';
export type { ExamAppOptions } from './exam-app.ts';
export { INJECTED_FAILURE } from './fault-injection.ts';
export type { FaultOptions } from './fault-injection.ts';
export { createRagApp } from './rag-app.ts';
export type { RagAppOptions } from './rag-app.ts';
export { startDemoBackends } from './start.ts';
export type { DemoBackends, DemoBackendsOptions } from './start.ts';
