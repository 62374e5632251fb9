import type { EventDraft, SessionEvent } from '../events/event.ts';
import type { Logger } from '../logger.ts';
import type { Run } from '../runs/run.ts';
import { newId, nowIso } from '../uuid.ts';
import { postWebhook, type PostOutcome, type PostWebhook } from './post-webhook.ts';
import { signWebhook } from './webhook-signature.ts';
import { checkWebhookUrl, type HostLookup } from './webhook-target.ts';
import { pause } from '../pause.ts';

/** The longest wait between two attempts, whatever WEBHOOK_RETRY_FIRST_MS doubles to. */
export const MAX_WEBHOOK_BACKOFF_MS = 60_000;

export interface WebhookSettings {
  /** The HMAC key (WEBHOOK_SECRET decoded). */
  readonly key: Buffer;
  /** WEBHOOK_ALLOW_PRIVATE: loopback and private addresses may be called. */
  readonly allowPrivate: boolean;
  /** WEBHOOK_TIMEOUT_MS: how long one attempt may take. */
  readonly timeoutMs: number;
  /** WEBHOOK_RETRY_FIRST_MS: the wait after the first failed attempt, doubled after each (to {@link MAX_WEBHOOK_BACKOFF_MS}). */
  readonly retryFirstMs: number;
  /** WEBHOOK_RETRY_FOR_MS: no attempt starts later than this after the first. */
  readonly retryForMs: number;
}

export interface WebhookDeliveriesDeps extends WebhookSettings {
  /** Stores a `webhook.delivery` event in the run's session (rejections are logged, never thrown). */
  readonly record: (sessionId: string, traceId: string | null, draft: EventDraft) => Promise<unknown>;
  readonly logger: Logger;
  /** Default {@link postWebhook}. */
  readonly post?: PostWebhook;
  /** Default the system resolver. */
  readonly lookup?: HostLookup;
}

/** A run that ended with a webhook, and its terminal event as stored (undefined in the rare case it is not known). */
export interface WebhookDelivery {
  readonly url: URL;
  readonly run: Run;
  readonly terminal: SessionEvent | undefined;
  readonly traceId: string | null;
}

/**
 * Completion webhooks: checks a run's webhook URL when the run is created, and once the run's
 * terminal event is stored POSTs the run to it, signed (Standard Webhooks headers), off the run's
 * path: nothing waits for a delivery. A failed attempt (no answer within the timeout, a connection
 * error, a status other than 2xx) is tried again after WEBHOOK_RETRY_FIRST_MS, then twice as long
 * each time, for at most WEBHOOK_RETRY_FOR_MS. Each attempt is a `webhook.delivery` event of the session.
 *
 * @example
 * ```ts
 * const webhooks = new WebhookDeliveries({ key, allowPrivate: false, timeoutMs: 10_000, retryFirstMs: 1000, retryForMs: 900_000, record, logger });
 * const url = await webhooks.check({ url: 'https://hooks.example.com/runs' }); // at createRun
 * webhooks.deliver({ url, run, terminal, traceId }); // once the terminal event is stored
 * await webhooks.close(); // shutdown
 * ```
 */
export class WebhookDeliveries {
  private readonly stopping = new AbortController();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: WebhookDeliveriesDeps) {}

  /** The webhook of a createRun request, checked; INVALID_ARGUMENT naming `webhook.url` when refused. */
  check(webhook: { url: string }): Promise<URL> {
    return checkWebhookUrl(webhook.url, { allowPrivate: this.deps.allowPrivate, lookup: this.deps.lookup });
  }

  /** Starts delivering; returns at once. Nothing is delivered once {@link close} was called. */
  deliver(delivery: WebhookDelivery): void {
    if (this.stopping.signal.aborted) return;
    const sending = this.send(delivery).catch((error: unknown) =>
      this.deps.logger.error({ err: error, run_id: delivery.run.id }, 'webhook delivery failed'),
    );
    this.pending.add(sending);
    void sending.finally(() => this.pending.delete(sending));
  }

  /**
   * Shutdown: retries not yet made are dropped (a `webhook.delivery` event says so), attempts in
   * flight finish (each within WEBHOOK_TIMEOUT_MS) and are not tried again. So a run that ended while
   * shutdown drained it still gets its first attempt. Resolves once every event is handed to the log.
   */
  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...this.pending]);
  }

  /** Deliveries under way (attempting or waiting to retry). */
  get active(): number {
    return this.pending.size;
  }

  private async send({ url, run, terminal, traceId }: WebhookDelivery): Promise<void> {
    const { key, allowPrivate, timeoutMs, retryForMs } = this.deps;
    const post = this.deps.post ?? postWebhook;
    // The terminal event's id: the same for every attempt, so a receiver can drop a repeat.
    const id = terminal?.id ?? newId();
    const body = JSON.stringify({
      type: terminal?.type ?? `run.${run.status}`,
      timestamp: terminal?.ts ?? run.finished_at ?? nowIso(),
      data: { run, seq: terminal?.seq ?? null },
    });
    const first = Date.now();
    for (let attempt = 1, wait = this.deps.retryFirstMs; ; attempt++) {
      const timestamp = Math.floor(Date.now() / 1000);
      const signal = AbortSignal.timeout(timeoutMs);
      const outcome = await post(url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Tributary-Webhooks/1',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(key, id, timestamp, body),
        },
        body,
        signal,
        allowPrivate,
      });
      const stopped = this.stopping.signal.aborted;
      const delivered = 'status' in outcome && outcome.status >= 200 && outcome.status < 300;
      const refused = 'refused' in outcome && outcome.refused === true;
      const retry =
        !delivered && !refused && !stopped && Date.now() + wait - first <= retryForMs ? wait : null;
      await this.record(run, traceId, attemptEvent(url, run, attempt, outcome, delivered, retry, stopped));
      if (retry === null) return;
      await pause(retry, this.stopping.signal);
      if (this.stopping.signal.aborted) {
        await this.record(run, traceId, droppedEvent(url, run, attempt));
        return;
      }
      wait = Math.min(wait * 2, MAX_WEBHOOK_BACKOFF_MS);
    }
  }

  private async record(run: Run, traceId: string | null, draft: EventDraft): Promise<void> {
    try {
      await this.deps.record(run.session_id, traceId, draft);
    } catch (error) {
      // The session may be gone (deleted, expired): the delivery goes on, unrecorded.
      this.deps.logger.warn(
        { err: error, session_id: run.session_id, run_id: run.id },
        'webhook delivery attempt could not be recorded',
      );
    }
  }
}

/** The `webhook.delivery` event of one attempt. */
function attemptEvent(
  url: URL,
  run: Run,
  attempt: number,
  outcome: PostOutcome,
  delivered: boolean,
  retryMs: number | null,
  stopped: boolean,
): EventDraft {
  const status = 'status' in outcome ? outcome.status : null;
  const error = 'error' in outcome ? outcome.error : null;
  const what = status !== null ? `answered ${status}` : `failed (${error})`;
  const next =
    retryMs !== null
      ? `; next attempt in ${retryMs} ms`
      : delivered
        ? ''
        : `; not tried again${stopped ? ' (the server is shutting down)' : ''}`;
  return {
    type: 'webhook.delivery',
    level: delivered ? 'info' : retryMs !== null ? 'warn' : 'error',
    message: `webhook attempt ${attempt} to ${url.host} ${what}${next}`,
    meta: {
      run_id: run.id,
      attempt,
      url_host: url.host,
      delivered,
      status,
      error: delivered ? null : (error ?? `status ${status}`),
      next_attempt_ms: retryMs,
    },
  };
}

/** The last `webhook.delivery` event of a delivery whose next attempt shutdown dropped. */
function droppedEvent(url: URL, run: Run, attempts: number): EventDraft {
  return {
    type: 'webhook.delivery',
    level: 'error',
    message: `webhook to ${url.host} dropped after ${attempts} attempt(s): the server shut down`,
    meta: {
      run_id: run.id,
      attempt: attempts,
      url_host: url.host,
      delivered: false,
      status: null,
      error: 'shutdown',
      next_attempt_ms: null,
    },
  };
}

/**
 * The one `webhook.delivery` event of a delivery never attempted: the process that ended the run
 * could not send it (a cluster node without WEBHOOK_SECRET).
 *
 * @example
 * ```ts
 * undeliveredEvent(url, run, 'WEBHOOK_SECRET is unset on the node that ended the run');
 * ```
 */
export function undeliveredEvent(url: URL, run: Run, error: string): EventDraft {
  return {
    type: 'webhook.delivery',
    level: 'error',
    message: `webhook to ${url.host} not sent: ${error}`,
    meta: {
      run_id: run.id,
      attempt: 0,
      url_host: url.host,
      delivered: false,
      status: null,
      error,
      next_attempt_ms: null,
    },
  };
}
