import type { Api } from './api-client.ts';
import type { Run } from './run-list.ts';

/**
 * The stored runs of the sessions the page shows (`GET /v1/sessions/{id}/runs`), fetched again when
 * a run's lifecycle event says one changed. A failed fetch keeps what was there: the events keep
 * the list live meanwhile, and the next change fetches again.
 *
 * @example
 * ```ts
 * const records = new RunRecords(api, () => this.requestUpdate());
 * void records.refresh(sessionId);
 * records.runs(sessionId); // oldest first, as the API lists them
 * ```
 */
export class RunRecords {
  readonly #api: Api;
  readonly #changed: () => void;
  readonly #runs = new Map<string, readonly Run[]>();
  /** The newest fetch per session: an older answer that arrives late does not overwrite it. */
  readonly #latest = new Map<string, number>();
  #fetches = 0;

  constructor(api: Api, changed: () => void) {
    this.#api = api;
    this.#changed = changed;
  }

  runs(sessionId: string): readonly Run[] {
    return this.#runs.get(sessionId) ?? [];
  }

  async refresh(sessionId: string): Promise<void> {
    const fetch = ++this.#fetches;
    this.#latest.set(sessionId, fetch);
    const { data } = await this.#api
      .GET('/v1/sessions/{session_id}/runs', { params: { path: { session_id: sessionId } } })
      .catch(() => ({ data: undefined }));
    if (!data || this.#latest.get(sessionId) !== fetch) return;
    this.#runs.set(sessionId, data.items);
    this.#changed();
  }
}
