import type { BrowserContext, Locator, Page } from 'playwright-core';

export { QUIZ_STEPS } from '../../fixtures/quiz-steps.ts';

const STORAGE_KEY = 'tributary.apiKey';

/**
 * The dashboard as a user drives it, through its labels and `data-testid`s. Timeline entries carry
 * `data-seq`, `data-type`, `data-step`, `data-run-id` and `data-session-id`, which the assertions read.
 *
 * @example
 * ```ts
 * const dashboard = await DashboardPage.open(context, platform.url);
 * const sessionId = await dashboard.createSession('revision');
 * await dashboard.startRun('Quiz me on RxJS operators');
 * await dashboard.event('run.completed').waitFor();
 * ```
 */
export class DashboardPage {
  /** Every Socket.IO payload this page exchanged (see {@link recordSocketTraffic}). */
  readonly traffic: SocketTraffic;

  private constructor(readonly page: Page) {
    this.traffic = recordSocketTraffic(page);
  }

  /**
   * A new page on the dashboard, once its socket is connected (unless `waitForConnection` is false,
   * e.g. before an API key is entered). `apiKey` is put in localStorage first, as the key field does.
   */
  static async open(
    context: BrowserContext,
    baseUrl: string,
    options: { apiKey?: string; sessionId?: string; waitForConnection?: boolean } = {},
  ): Promise<DashboardPage> {
    // A script string: the tests are compiled without the DOM types, and this runs in the page.
    if (options.apiKey)
      await context.addInitScript({
        content: `localStorage.setItem(${JSON.stringify(STORAGE_KEY)}, ${JSON.stringify(options.apiKey)})`,
      });
    const dashboard = new DashboardPage(await context.newPage());
    await dashboard.page.goto(`${baseUrl}/${options.sessionId ? `#/sessions/${options.sessionId}` : ''}`);
    if (options.waitForConnection !== false) await dashboard.connected();
    return dashboard;
  }

  /** Waits until the socket is connected (the header's connection badge). */
  async connected(): Promise<void> {
    await this.page
      .getByTestId('connection')
      .filter({ hasText: /^\s*connected\s*$/ })
      .waitFor();
  }

  /** Creates a session with the form and waits until it is selected; returns its id. */
  async createSession(name?: string): Promise<string> {
    if (name) await this.page.getByLabel('Name', { exact: true }).fill(name);
    await this.page.getByTestId('create-session').click();
    await this.page.waitForURL(/#\/sessions\/[0-9a-f-]{36}$/);
    const id = new URL(this.page.url()).hash.slice('#/sessions/'.length);
    // Its history (session.created) has arrived: the subscription is live.
    await this.event('session.created').waitFor();
    return id;
  }

  async startRun(question: string, flow = 'quiz'): Promise<void> {
    await this.page.getByLabel('Flow').selectOption(flow);
    await this.page.getByLabel('Question').fill(question);
    await this.page.getByTestId('start-run').click();
  }

  /**
   * Picks `flow` (grade), which shows the answers field, writes `answers` in it (one per line,
   * e.g. `1: b`) and starts the run; the question box is left as it is.
   */
  async startRunWithAnswers(answers: string, flow = 'grade'): Promise<void> {
    await this.page.getByLabel('Flow').selectOption(flow);
    await this.page.getByLabel('Answers').fill(answers);
    await this.page.getByTestId('start-run').click();
  }

  entries(): Locator {
    return this.page.getByTestId('timeline-entry');
  }

  /** Timeline entries of one event type (and step). */
  event(type: string, step?: string): Locator {
    const selector = `[data-testid="timeline-entry"][data-type="${type}"]${step ? `[data-step="${step}"]` : ''}`;
    return this.page.locator(selector);
  }

  runStatus(): Locator {
    return this.page.getByTestId('run-status');
  }

  async seqs(): Promise<number[]> {
    return this.entries().evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-seq'))));
  }

  async steps(): Promise<string[]> {
    return this.event('step').evaluateAll((items) =>
      items.map((item) => item.getAttribute('data-step') ?? ''),
    );
  }

  async attribute(name: 'data-session-id' | 'data-run-id' | 'data-type'): Promise<string[]> {
    return this.entries().evaluateAll(
      (items, attribute) => items.map((item) => item.getAttribute(attribute) ?? ''),
      name,
    );
  }
}

export interface SocketTraffic {
  /** Payloads from the server. */
  received: string[];
  /** Payloads to the server (e.g. `42["subscribe",{…}]`). */
  sent: string[];
}

/**
 * Every Socket.IO payload the page exchanges, over WebSocket frames and long-polling requests
 * alike, so a test can check what reached the browser (and what it asked for), not just what it rendered.
 */
export function recordSocketTraffic(page: Page): SocketTraffic {
  const traffic: SocketTraffic = { received: [], sent: [] };
  const text = (payload: string | Buffer) => (typeof payload === 'string' ? payload : payload.toString());
  page.on('websocket', (socket) => {
    socket.on('framereceived', ({ payload }) => traffic.received.push(text(payload)));
    socket.on('framesent', ({ payload }) => traffic.sent.push(text(payload)));
  });
  page.on('requestfinished', async (request) => {
    if (!new URL(request.url()).pathname.startsWith('/socket.io/')) return;
    const posted = request.postData();
    if (posted) traffic.sent.push(posted);
    const response = await request.response();
    traffic.received.push((await response?.text().catch(() => '')) ?? '');
  });
  return traffic;
}

/** The `after_seq` of every `subscribe` the page sent, in order. */
export function subscribedAfter(traffic: SocketTraffic): number[] {
  return traffic.sent.flatMap((payload) =>
    [...payload.matchAll(/\["subscribe",(\{[^}]*\})/g)].map(
      (match) => (JSON.parse(match[1]!) as { after_seq?: number }).after_seq ?? 0,
    ),
  );
}
