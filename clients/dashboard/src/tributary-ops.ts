import { LitElement, type TemplateResult } from 'lit';
import { describeFailure, type Api } from './api-client.ts';
import { mayRefresh, OPS_MIN_GAP_MS, OPS_REFRESH_MS, type Stats } from './ops-view.ts';
import { renderOps } from './render-ops.ts';

/**
 * `<tributary-ops>`: the operations view. It reads `GET /v1/stats` every {@link OPS_REFRESH_MS}
 * while the tab is visible, at once when the tab is shown again or the API key changes, and never
 * more than about once a second ({@link mayRefresh}). With API keys the figures are the key's
 * user's, as the API scopes them; `recent` (runs per minute, p50/p99) comes from the store, so
 * every gateway process of a cluster shows the same.
 *
 * @example
 * ```ts
 * html`<tributary-ops .api=${api} .apiKey=${apiKey}></tributary-ops>`;
 * ```
 */
export class TributaryOps extends LitElement {
  #api: Api | null = null;
  #apiKey = '';
  #stats: Stats | null = null;
  #updatedAt: Date | null = null;
  #error = '';
  #inFlight = false;
  #lastAt: number | null = null;
  #timer: number | undefined;
  /** A refresh asked for too soon after the last one, run when the gap is over. */
  #deferred: number | undefined;

  /** Lit sets an object property on every render of the page: only a new client means a read. */
  set api(api: Api) {
    if (api === this.#api) return;
    this.#api = api;
    this.#refresh();
  }

  /** Only compared: a new key means other figures (another user's), so they are read at once. */
  set apiKey(key: string) {
    if (key === this.#apiKey) return;
    this.#apiKey = key;
    this.#stats = null;
    this.#lastAt = null;
    this.#refresh();
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.#onVisibility);
    this.#timer = window.setInterval(() => this.#refresh(), OPS_REFRESH_MS);
    this.#refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.#onVisibility);
    window.clearInterval(this.#timer);
    window.clearTimeout(this.#deferred);
    this.#deferred = undefined;
  }

  protected override render(): TemplateResult {
    return renderOps({ stats: this.#stats, updatedAt: this.#updatedAt, error: this.#error });
  }

  readonly #onVisibility = (): void => {
    if (document.visibilityState === 'visible') this.#refresh();
  };

  /** Reads the stats now if allowed, else once the minimum gap is over (one such wait at a time). */
  #refresh(): void {
    if (!this.isConnected || !this.#api || document.visibilityState === 'hidden') return;
    const now = Date.now();
    if (!mayRefresh({ inFlight: this.#inFlight, lastAt: this.#lastAt }, now)) {
      if (!this.#inFlight && this.#deferred === undefined && this.#lastAt !== null) {
        this.#deferred = window.setTimeout(
          () => {
            this.#deferred = undefined;
            this.#refresh();
          },
          this.#lastAt + OPS_MIN_GAP_MS - now,
        );
      }
      return;
    }
    void this.#load(this.#api, now);
  }

  async #load(api: Api, now: number): Promise<void> {
    this.#inFlight = true;
    this.#lastAt = now;
    const key = this.#apiKey;
    try {
      const { data, error, response } = await api.GET('/v1/stats');
      // Read with a key since replaced: those figures are another user's.
      if (key !== this.#apiKey) return;
      if (data) {
        this.#stats = data;
        this.#updatedAt = new Date();
        this.#error = '';
      } else {
        this.#error = `Could not load the stats: ${describeFailure(error, response)}`;
      }
    } catch (error) {
      this.#error = `Could not load the stats: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.#inFlight = false;
      this.requestUpdate();
      // The key changed while this read was out: read the new user's figures now.
      if (key !== this.#apiKey) this.#refresh();
    }
  }
}
