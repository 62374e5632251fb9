import { LitElement, nothing, type TemplateResult } from 'lit';
import { describeFailure, type Api } from './api-client.ts';
import { finalAnswer } from './final-answer.ts';
import { formAnswersOf, gradeInput, quizLoop, type QuizLoop } from './quiz-form.ts';
import { renderFinalAnswer } from './render-final-answer.ts';
import { questionControlId, renderQuizForm } from './render-quiz-form.ts';
import type { SessionEvent } from './types.ts';

/** What the page tells the element: the run shown, its session's events, and the API to start runs with. */
export interface RunAnswerView {
  readonly sessionId: string;
  readonly runId: string;
  readonly events: readonly SessionEvent[];
  readonly api: Api;
}

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/**
 * `<tributary-run-answer>`: a run's final answer. A quiz in it is a form (radio buttons for
 * choices, text inputs for open questions); Submit starts a `grade` run in the same session with
 * `input.answers`, and the score and feedback by question show under the quiz when it ends. The
 * grade run's view shows the quiz it graded the same way. What the learner filled in is kept per
 * quiz while the element lives (the page keeps it for the session shown).
 *
 * @example
 * ```ts
 * html`<tributary-run-answer .view=${{ sessionId, runId, events, api }}></tributary-run-answer>`;
 * ```
 */
export class TributaryRunAnswer extends LitElement {
  #view: RunAnswerView | null = null;
  /** What was filled in, by quiz run id. */
  readonly #answers = new Map<string, (string | undefined)[]>();
  /** Grade runs started here, by grade run id → quiz run id: known as grade runs before they start. */
  readonly #submitted = new Map<string, string>();
  readonly #errors = new Map<string, { message: string; question?: number }>();
  /** Quiz run ids whose grade run is being created. */
  readonly #posting = new Set<string>();
  /** Grade runs whose input was asked for, to show what they graded in a form nobody filled in here. */
  readonly #recalled = new Set<string>();

  set view(view: RunAnswerView) {
    this.#view = view;
    this.requestUpdate();
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  protected override render(): TemplateResult | typeof nothing {
    const view = this.#view;
    if (!view) return nothing;
    const loop = quizLoop(view.events, view.runId, this.#submitted);
    if (!loop) return renderFinalAnswer(finalAnswer(view.events, view.runId));
    const answers = this.#answers.get(loop.quizRunId) ?? [];
    if (loop.grade && !this.#answers.has(loop.quizRunId)) void this.#recall(view, loop, loop.grade.runId);
    const grading = loop.grade !== null && !ENDED.has(loop.grade.status);
    const form = renderQuizForm(
      loop,
      {
        answers,
        error: this.#errors.get(loop.quizRunId) ?? null,
        busy: this.#posting.has(loop.quizRunId) || grading,
      },
      {
        answer: (index, value) => {
          const next = [...answers];
          next[index] = value;
          this.#answers.set(loop.quizRunId, next);
          this.#errors.delete(loop.quizRunId);
          this.requestUpdate();
        },
        submit: () => void this.#submit(view, loop),
      },
    );
    return renderFinalAnswer(finalAnswer(view.events, loop.quizRunId), form);
  }

  /**
   * After a reload (or on another page) the form is empty while its grade shows: fill it with the
   * answers the grade run was sent (`input.answers` of its record), unless someone typed meanwhile.
   */
  async #recall(view: RunAnswerView, loop: QuizLoop, gradeRunId: string): Promise<void> {
    if (this.#recalled.has(gradeRunId)) return;
    this.#recalled.add(gradeRunId);
    const { data } = await view.api
      .GET('/v1/sessions/{session_id}/runs/{run_id}', {
        params: { path: { session_id: view.sessionId, run_id: gradeRunId } },
      })
      .catch(() => ({ data: undefined }));
    // Not shown is no loss: the grade and feedback are there either way.
    const given = (data?.input as { answers?: unknown } | undefined)?.answers;
    if (given === undefined || this.#answers.has(loop.quizRunId)) return;
    this.#answers.set(loop.quizRunId, [...formAnswersOf(loop.quiz, given)]);
    this.requestUpdate();
  }

  async #submit(view: RunAnswerView, loop: QuizLoop): Promise<void> {
    const { quizRunId } = loop;
    if (this.#posting.has(quizRunId)) return;
    const read = gradeInput(loop.quiz, this.#answers.get(quizRunId) ?? []);
    if (!read.ok) {
      this.#errors.set(quizRunId, {
        message: read.error,
        ...(read.question === undefined ? {} : { question: read.question }),
      });
      this.requestUpdate();
      // Keyboard users land on the question to answer.
      if (read.question !== undefined) {
        await this.updateComplete;
        this.querySelector<HTMLElement>(
          `#${CSS.escape(questionControlId(quizRunId, read.question))}`,
        )?.focus();
      }
      return;
    }
    this.#posting.add(quizRunId);
    this.#errors.delete(quizRunId);
    this.requestUpdate();
    let failure = '';
    try {
      const { data, error, response } = await view.api.POST('/v1/sessions/{session_id}/runs', {
        params: { path: { session_id: view.sessionId } },
        body: { flow: 'grade', input: { question: read.input.question, answers: { ...read.input.answers } } },
      });
      if (data) this.#submitted.set(data.id, quizRunId);
      else failure = describeFailure(error, response);
    } catch (thrown) {
      // The network itself failed (offline, server gone): no problem document to read.
      failure = thrown instanceof Error ? thrown.message : String(thrown);
    }
    this.#posting.delete(quizRunId);
    if (failure) this.#errors.set(quizRunId, { message: `Could not start the grade run: ${failure}` });
    this.requestUpdate();
  }
}
