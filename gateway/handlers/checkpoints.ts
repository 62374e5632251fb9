import type { Handlers } from '../http/operation-types.ts';
import type { HandlerDeps } from './context.ts';

type CheckpointHandlers = Pick<Handlers, 'listCheckpoints' | 'createCheckpoint' | 'getLatestCheckpoint'>;

export function checkpointHandlers(deps: HandlerDeps): CheckpointHandlers {
  const { checkpoints } = deps.runtime;
  return {
    listCheckpoints: {
      access: 'session',
      async handle({ session }) {
        return { status: 200, body: { items: await checkpoints.list(session.id) } };
      },
    },
    createCheckpoint: {
      access: 'session',
      async handle({ session, body }) {
        const checkpoint = await checkpoints.save(session.id, body.state, {
          run_id: body.run_id,
          label: body.label,
        });
        return { status: 201, body: checkpoint };
      },
    },
    getLatestCheckpoint: {
      access: 'session',
      async handle({ session }) {
        return { status: 200, body: await checkpoints.latest(session.id) };
      },
    },
  };
}
