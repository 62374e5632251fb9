import { html, LitElement, nothing, type TemplateResult } from 'lit';
// The boxes are cleared from code after the user typed in them: compare with the live DOM value.
import { live } from 'lit/directives/live.js';
import { answersPlaceholder, latestQuiz, readAnswers, takesAnswers } from './answers-field.ts';
import { createApi, describeFailure } from './api-client.ts';
import { loadApiKey, saveApiKey } from './api-key.ts';
import { OPS_HASH } from './ops-view.ts';
import { FilteredTimeline } from './filtered-timeline.ts';
import { renderApprovals } from './render-approvals.ts';
import { renderRunList } from './render-run-list.ts';
import { renderRunQuestion } from './render-run-question.ts';
import { renderRunView } from './render-run-view.ts';
import { renderSessionList } from './render-session-list.ts';
import { runQuestion, runRows } from './run-list.ts';
import { RunRecords } from './run-records.ts';
import { currentRun, isActive, pendingApprovals, type PendingApproval } from './run-status.ts';
import { SessionFeed } from './session-feed.ts';
import { SESSION_STATES, type Flow, type Session, type SessionEvent, type SessionState } from './types.ts';

const LIST_REFRESH_MS = 3000;
const REFRESH_DEBOUNCE_MS = 150;
// Runs of a session: `/runs/<run_id>` after the session opens that run's own view.
const SESSION_HASH = /^#\/sessions\/([0-9a-f-]{36})(?:\/runs\/([0-9a-f-]{36}))?$/i;
/** The question sent with answers when the question box is left empty: the grade flow needs one. */
const GRADE_QUESTION = 'Grade my answers';

/** Events after which the session record (state, active run, trace id) is worth fetching again. */
const RECORD_CHANGES = new Set([
  'session.updated',
  'session.expired',
  'run.queued',
  'run.started',
  'run.completed',
  'run.failed',
  'run.cancelled',
]);

/**
 * The dashboard page: sessions on the left (filter, create), the selected session on the right
 * (run controls, approvals, final answer, live timeline). A flow that takes `input.answers` (grade)
 * gets an answers field, one answer per line by question number, sent as `input.answers`. The selected session is in the URL hash
 * (`#/sessions/<id>`), so a reload comes back to it and replays its history from seq 1.
 *
 * State lives in private fields and every change calls `requestUpdate()`: Lit batches the renders.
 * Light DOM (no shadow root), so one stylesheet and plain selectors reach everything.
 */
export class TributaryDashboard extends LitElement {
  #apiKey = loadApiKey();
  readonly #api = createApi(() => this.#apiKey);
  readonly #feed = new SessionFeed(() => this.#apiKey, { changed: () => this.#onFeedChanged() });
  #sessions: Session[] = [];
  #stateFilter: SessionState | '' = '';
  #userFilter = '';
  #flows: Flow[] = [];
  #flow = '';
  #question = '';
  #answers = '';
  #selectedId: string | null = null;
  #session: Session | null = null;
  #notice = '';
  #jaegerUiUrl = '';
  #seenSeq = 0;
  #timer: number | undefined;
  #refreshTimer: number | undefined;
  /** Runs of a session: the run whose view is open (from the hash), and the stored run records. */
  #runId: string | null = null;
  readonly #runRecords = new RunRecords(this.#api, () => this.requestUpdate());
  /** Operations view: shown instead of the sessions while the hash is `#/ops`. */
  #opsView = false;
  /** Timeline filter: the timeline with its filters, folds and search, remembered per session. */
  readonly #timeline = new FilteredTimeline(() => this.requestUpdate());

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.#onHashChange);
    this.#onHashChange();
    void this.#loadConfig();
    void this.#loadFlows();
    void this.#refreshSessions();
    this.#timer = window.setInterval(() => void this.#refreshSessions(), LIST_REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.#onHashChange);
    window.clearInterval(this.#timer);
    window.clearTimeout(this.#refreshTimer);
    // The element is the page: taken out of the document, it is done with its socket too.
    this.#feed.close();
  }

  protected override render(): TemplateResult {
    return html`<header class="top">
        <h1>Tributary</h1>
        <nav class="top-nav" aria-label="Views">
          <a href="#/" aria-current=${this.#opsView ? 'false' : 'page'}>Sessions</a>
          <a href="${OPS_HASH}" data-testid="ops-link" aria-current=${this.#opsView ? 'page' : 'false'}
            >Operations</a
          >
        </nav>
        <span class="connection conn-${this.#feed.state}" data-testid="connection" role="status">
          ${this.#feed.state}${this.#feed.connectError ? `: ${this.#feed.connectError}` : ''}
        </span>
        <form class="api-key" @submit=${(event: SubmitEvent) => event.preventDefault()}>
          <label
            >API key
            <input
              type="password"
              autocomplete="off"
              placeholder="if the server has API_KEYS"
              data-testid="api-key"
              .value=${this.#apiKey}
              @change=${this.#onApiKey}
          /></label>
        </form>
      </header>
      ${
        this.#notice
          ? html`<div class="notice error" role="alert" data-testid="notice">
              <span>${this.#notice}</span>
              <button type="button" @click=${() => this.#say('')}>Dismiss</button>
            </div>`
          : nothing
      }
      ${
        this.#opsView
          ? html`<main class="ops-main">
              <tributary-ops .api=${this.#api} .apiKey=${this.#apiKey}></tributary-ops>
            </main>`
          : html`<main class="layout">
              <aside class="sessions" aria-label="Sessions">${this.#renderSessionsPanel()}</aside>
              <section class="session" aria-label="Session">${this.#renderSession()}</section>
            </main>`
      }`;
  }

  #renderSessionsPanel(): TemplateResult {
    return html`<h2>Sessions</h2>
      <form class="create-session" @submit=${this.#onCreateSession}>
        <label>User <input name="user_id" autocomplete="off" data-testid="new-session-user" /></label>
        <label>Name <input name="name" autocomplete="off" data-testid="new-session-name" /></label>
        <button type="submit" data-testid="create-session">Create session</button>
      </form>
      <fieldset class="filters">
        <legend>Filter</legend>
        <label
          >State
          <select data-testid="filter-state" @change=${this.#onStateFilter}>
            <option value="" ?selected=${this.#stateFilter === ''}>any</option>
            ${SESSION_STATES.map(
              (state) =>
                html`<option value=${state} ?selected=${this.#stateFilter === state}>${state}</option>`,
            )}
          </select></label
        >
        <label
          >User
          <input
            type="search"
            data-testid="filter-user"
            .value=${this.#userFilter}
            @change=${this.#onUserFilter}
        /></label>
      </fieldset>
      ${renderSessionList(this.#sessions, this.#selectedId, (id) => this.#select(id))}`;
  }

  #renderSession(): TemplateResult {
    const sessionId = this.#selectedId;
    if (!sessionId) return html`<p class="muted">Select or create a session.</p>`;
    const events = this.#feed.events(sessionId);
    const run = currentRun(events);
    const active = isActive(run);
    const traceId = this.#session?.trace_id ?? events.findLast((event) => event.trace_id)?.trace_id ?? null;
    const feedError = this.#feed.error(sessionId);
    const withAnswers = takesAnswers(this.#flows.find((flow) => flow.name === this.#flow));
    const answersHint = withAnswers ? answersPlaceholder(latestQuiz(events)) : '';
    return html`<h2>
        ${this.#session?.name || 'Session'} <code data-testid="session-id">${sessionId}</code>
      </h2>
      <dl class="facts">
        <dt>State</dt>
        <dd data-testid="session-state">${this.#session?.state ?? '…'}</dd>
        <dt>User</dt>
        <dd>${this.#session?.user_id ?? 'anonymous'}</dd>
        <dt>Trace</dt>
        <dd>
          ${
            traceId
              ? this.#jaegerUiUrl
                ? html`<a
                    data-testid="trace-link"
                    href="${this.#jaegerUiUrl}/trace/${traceId}"
                    target="_blank"
                    rel="noopener noreferrer"
                    >${traceId}</a
                  >`
                : html`<code data-testid="trace-id">${traceId}</code>`
              : html`<span class="muted">none yet</span>`
          }
        </dd>
        <dt>Run</dt>
        <dd>
          <!-- A live region: a screen reader hears the run end without watching the timeline. -->
          <span
            class="run-status status-${run?.status.replace(' ', '-') ?? 'none'}"
            data-testid="run-status"
            role="status"
            >${run?.status ?? 'no runs yet'}</span
          >
          ${
            // Runs of a session: offered only while the run can be cancelled (queued or running).
            active && run
              ? html`<button
                  type="button"
                  class="danger"
                  data-testid="cancel-run"
                  @click=${() => void this.#cancel(sessionId, run.runId)}
                >
                  Cancel run
                </button>`
              : nothing
          }
        </dd>
      </dl>
      ${feedError ? html`<p class="notice error" role="alert" data-testid="feed-error">${feedError}</p>` : nothing}
      <form class="run-form" @submit=${this.#onStartRun}>
        <label
          >Flow
          <select data-testid="flow-select" @change=${this.#onFlow}>
            ${this.#flows.map(
              (flow) =>
                html`<option
                  value=${flow.name}
                  ?selected=${flow.name === this.#flow}
                  title=${flow.description}
                >
                  ${flow.name}
                </option>`,
            )}
          </select></label
        >
        <label class="question"
          >Question
          <textarea
            rows="2"
            ?required=${!withAnswers}
            placeholder=${withAnswers ? GRADE_QUESTION : ''}
            data-testid="question"
            .value=${live(this.#question)}
            @input=${this.#onQuestion}
          ></textarea>
        </label>
        ${
          withAnswers
            ? html`<label class="answers"
                >Answers
                <textarea
                  rows=${Math.max(2, answersHint.split('\n').length)}
                  data-testid="answers"
                  title="One per line by question number: a letter, the option's text or your own words. Or a JSON object."
                  placeholder=${answersHint}
                  .value=${live(this.#answers)}
                  @input=${this.#onAnswers}
                ></textarea>
              </label>`
            : nothing
        }
        <button type="submit" data-testid="start-run">Start run</button>
      </form>
      ${renderApprovals(pendingApprovals(events), (approval, approve) => void this.#decide(approval, approve))}
      ${
        // Quiz form: the answer of the run whose view is open, else of the current run.
        run
          ? html`<tributary-run-answer
              .view=${{ sessionId, runId: this.#runId ?? run.runId, events, api: this.#api }}
            ></tributary-run-answer>`
          : nothing
      }
      ${this.#renderRuns(sessionId, events, traceId)}
      <h3>Timeline</h3>
      ${this.#timeline.render(
        sessionId,
        this.#runId ? events.filter((event) => event.run_id === this.#runId) : events,
        this.#runQuestionRow(sessionId, events),
      )}`;
  }

  /** Runs of a session: the list of every run, and the open run's view with its waterfall. */
  #renderRuns(sessionId: string, events: readonly SessionEvent[], traceId: string | null): TemplateResult {
    const rows = runRows(this.#runRecords.runs(sessionId), events);
    const runId = this.#runId;
    return html`<h3>Runs</h3>
      ${renderRunList(rows, sessionId, runId)}
      ${
        runId
          ? renderRunView(
              rows.find((row) => row.runId === runId),
              runId,
              {
                sessionId,
                events,
                traceUrl: this.#jaegerUiUrl && traceId ? `${this.#jaegerUiUrl}/trace/${traceId}` : null,
                cancel: () => void this.#cancel(sessionId, runId),
              },
            )
          : nothing
      }`;
  }

  /** Runs of a session: the open run's question, as the first row of its timeline. */
  #runQuestionRow(sessionId: string, events: readonly SessionEvent[]): TemplateResult | undefined {
    const runId = this.#runId;
    if (!runId) return undefined;
    const record = this.#runRecords.runs(sessionId).find((run) => run.id === runId);
    const question = runQuestion(record, events, runId);
    return question === null ? undefined : renderRunQuestion(question, runId);
  }

  /** Follows the session named in the hash; a hash without one shows no session. */
  readonly #onHashChange = (): void => {
    this.#opsView = location.hash === OPS_HASH;
    const match = SESSION_HASH.exec(location.hash);
    const id = match?.[1] ?? null;
    this.#runId = match?.[2] ?? null;
    if (id === this.#selectedId) {
      // A run opened: its record (question, usage) may be newer than the list's.
      if (id && this.#runId) void this.#runRecords.refresh(id);
      return this.requestUpdate();
    }
    if (this.#selectedId) this.#feed.unfollow(this.#selectedId);
    this.#selectedId = id;
    this.#session = null;
    // Answers belong to the quiz of the session they were written for.
    this.#answers = '';
    this.#seenSeq = 0;
    if (id) {
      this.#feed.follow(id);
      void this.#refreshSession();
      void this.#runRecords.refresh(id);
    }
    this.requestUpdate();
  };

  #select(sessionId: string): void {
    location.hash = `#/sessions/${sessionId}`;
  }

  #onFeedChanged(): void {
    const id = this.#selectedId;
    if (id) {
      // Only events not looked at yet can have changed the session's record.
      const fresh = this.#feed.events(id).filter((event) => event.seq > this.#seenSeq);
      this.#seenSeq = this.#feed.lastSeq(id);
      if (fresh.some((event) => RECORD_CHANGES.has(event.type))) this.#refreshSoon();
    }
    this.requestUpdate();
  }

  /** One refresh for a burst of changes (a replayed history holds many), not one per event. */
  #refreshSoon(): void {
    if (this.#refreshTimer !== undefined) return;
    this.#refreshTimer = window.setTimeout(() => {
      this.#refreshTimer = undefined;
      void this.#refreshSession();
      void this.#refreshSessions();
      if (this.#selectedId) void this.#runRecords.refresh(this.#selectedId);
    }, REFRESH_DEBOUNCE_MS);
  }

  async #loadConfig(): Promise<void> {
    // Outside /v1 and not in the spec: page settings, not API. Missing config only hides the trace link.
    const response = await fetch('/dashboard-config.json').catch(() => undefined);
    if (!response?.ok) return;
    const config = (await response.json()) as { jaeger_ui_url?: unknown };
    if (typeof config.jaeger_ui_url === 'string')
      this.#jaegerUiUrl = config.jaeger_ui_url.replace(/\/+$/, '');
    this.requestUpdate();
  }

  async #loadFlows(): Promise<void> {
    const { data, error, response } = await this.#api.GET('/v1/flows');
    if (!data) return this.#say(`Could not load the flows: ${describeFailure(error, response)}`);
    this.#flows = data.items;
    if (!this.#flows.some((flow) => flow.name === this.#flow))
      this.#flow = this.#flows.find((flow) => flow.name === 'quiz')?.name ?? this.#flows[0]?.name ?? '';
    this.requestUpdate();
  }

  async #refreshSessions(): Promise<void> {
    const query = {
      limit: 50,
      ...(this.#stateFilter ? { state: this.#stateFilter } : {}),
      ...(this.#userFilter ? { user_id: this.#userFilter } : {}),
    };
    const { data } = await this.#api
      .GET('/v1/sessions', { params: { query } })
      .catch(() => ({ data: undefined }));
    // A failed poll keeps the last list: the next one will tell, and the notice bar stays for actions.
    if (!data) return;
    this.#sessions = data.items;
    this.requestUpdate();
  }

  async #refreshSession(): Promise<void> {
    const id = this.#selectedId;
    if (!id) return;
    const { data, error, response } = await this.#api.GET('/v1/sessions/{session_id}', {
      params: { path: { session_id: id } },
    });
    if (id !== this.#selectedId) return;
    if (!data) return this.#say(`Could not load session ${id}: ${describeFailure(error, response)}`);
    this.#session = data;
    this.requestUpdate();
  }

  readonly #onCreateSession = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const fields = new FormData(form);
    const userId = String(fields.get('user_id') ?? '').trim();
    const name = String(fields.get('name') ?? '').trim();
    const { data, error, response } = await this.#api.POST('/v1/sessions', {
      body: { ...(userId ? { user_id: userId } : {}), ...(name ? { name } : {}) },
    });
    if (!data) return this.#say(`Could not create a session: ${describeFailure(error, response)}`);
    form.reset();
    this.#say('');
    this.#select(data.id);
    await this.#refreshSessions();
  };

  readonly #onStartRun = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    const sessionId = this.#selectedId;
    if (!sessionId) return;
    let question = this.#question.trim();
    let answers: Readonly<Record<string, string>> | undefined;
    if (takesAnswers(this.#flows.find((flow) => flow.name === this.#flow))) {
      const read = readAnswers(this.#answers);
      if (!read.ok) return this.#say(read.error);
      answers = read.answers;
      if (!answers && !question)
        return this.#say('Write your answers, one per line by question number, e.g. "1: b".');
      question ||= GRADE_QUESTION;
    }
    if (!question) return;
    const { data, error, response } = await this.#api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: sessionId } },
      body: {
        input: { question, ...(answers ? { answers } : {}) },
        ...(this.#flow ? { flow: this.#flow } : {}),
      },
    });
    if (!data) return this.#say(`Could not start the run: ${describeFailure(error, response)}`);
    // Sent: the next run (a grade after a quiz) starts from an empty box, not this run's question.
    // The answers stay, to be corrected if the grade run cannot read them.
    this.#question = '';
    this.#say('');
  };

  async #cancel(sessionId: string, runId: string): Promise<void> {
    const { data, error, response } = await this.#api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
      params: { path: { session_id: sessionId, run_id: runId } },
    });
    if (!data) this.#say(`Could not cancel the run: ${describeFailure(error, response)}`);
  }

  async #decide(approval: PendingApproval, approve: boolean): Promise<void> {
    const sessionId = this.#selectedId;
    if (!sessionId) return;
    const { data, error, response } = await this.#api.POST(
      '/v1/sessions/{session_id}/runs/{run_id}/approvals/{approval_id}',
      {
        params: { path: { session_id: sessionId, run_id: approval.runId, approval_id: approval.approvalId } },
        body: { approve },
      },
    );
    if (!data)
      this.#say(`Could not ${approve ? 'approve' : 'reject'} the call: ${describeFailure(error, response)}`);
  }

  readonly #onApiKey = (event: Event): void => {
    this.#apiKey = (event.target as HTMLInputElement).value.trim();
    saveApiKey(this.#apiKey);
    // The socket authenticates at connect time; REST picks the key up per request.
    this.#feed.reconnect();
    void this.#loadFlows();
    void this.#refreshSessions();
    void this.#refreshSession();
  };

  readonly #onStateFilter = (event: Event): void => {
    this.#stateFilter = (event.target as HTMLSelectElement).value as SessionState | '';
    void this.#refreshSessions();
  };

  readonly #onUserFilter = (event: Event): void => {
    this.#userFilter = (event.target as HTMLInputElement).value.trim();
    void this.#refreshSessions();
  };

  readonly #onFlow = (event: Event): void => {
    this.#flow = (event.target as HTMLSelectElement).value;
    // The answers field comes and goes with the flow.
    this.requestUpdate();
  };

  readonly #onQuestion = (event: Event): void => {
    this.#question = (event.target as HTMLTextAreaElement).value;
  };

  readonly #onAnswers = (event: Event): void => {
    this.#answers = (event.target as HTMLTextAreaElement).value;
  };

  #say(notice: string): void {
    this.#notice = notice;
    this.requestUpdate();
  }
}
