import type { Handlers } from '../http/operation-types.ts';
import { ownedSession, type HandlerDeps } from './context.ts';

type CheckpointHandlers = Pick<Handlers, 'listCheckpoints' | 'createCheckpoint' | 'getLatestCheckpoint'>;

export function checkpointHandlers(deps: HandlerDeps): CheckpointHandlers {
  const { checkpoints } = deps.runtime;
  return {
    async listCheckpoints({ params, user }) {
      await ownedSession(deps, user, params.session_id);
      return { status: 200, body: { items: await checkpoints.list(params.session_id) } };
    },
    async createCheckpoint({ params, body, user }) {
      await ownedSession(deps, user, params.session_id);
      const checkpoint = await checkpoints.save(params.session_id, body.state, {
        run_id: body.run_id,
        label: body.label,
      });
      return { status: 201, body: checkpoint };
    },
    async getLatestCheckpoint({ params, user }) {
      await ownedSession(deps, user, params.session_id);
      return { status: 200, body: await checkpoints.latest(params.session_id) };
    },
  };
}
