import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import { MAX_ANSWER_LENGTH, type FormAnswers, type GradeView, type QuizLoop } from './quiz-form.ts';

export interface QuizFormState {
  readonly answers: FormAnswers;
  /** The validation or submit error to show, and the question (0-based) it is about, if one. */
  readonly error: { readonly message: string; readonly question?: number } | null;
  /** A grade run is being started, or runs, for this quiz: the form waits. */
  readonly busy: boolean;
}

export interface QuizFormHandlers {
  answer(index: number, value: string): void;
  submit(): void;
}

/** The id of question `index`'s first control in the form of the quiz of run `quizRunId`. */
export function questionControlId(quizRunId: string, index: number): string {
  return `quiz-${quizRunId}-q${index + 1}`;
}

/**
 * A quiz as a form: each question in a fieldset named by its prompt, a multiple choice question as a
 * radio group (lettered by the list, as the quiz message letters them), an open question as a text
 * input labelled by its prompt; one Submit button. Below, the grade run of the quiz: grading, its score, or what failed;
 * each question gets its feedback under it.
 */
export function renderQuizForm(
  loop: QuizLoop,
  state: QuizFormState,
  handlers: QuizFormHandlers,
): TemplateResult {
  const { quiz, quizRunId, grade } = loop;
  const disabled = state.busy || !loop.latest;
  const feedback = (index: number) => grade?.feedback.find((item) => item.index === index);
  return html`<form
      class="quiz-form"
      data-testid="quiz-form"
      data-quiz-run-id=${quizRunId}
      aria-label="Answer the quiz"
      novalidate
      @submit=${(event: SubmitEvent) => {
        event.preventDefault();
        handlers.submit();
      }}
    >
      <ol class="quiz" data-testid="quiz">
        ${quiz.questions.map((question, index) => {
          const id = questionControlId(quizRunId, index);
          const given = state.answers[index] ?? '';
          const item = feedback(index);
          const invalid = state.error?.question === index;
          return html`<li data-testid="quiz-question">
            <fieldset ?disabled=${disabled} aria-describedby=${invalid ? `quiz-${quizRunId}-error` : nothing}>
              <legend id="${id}-prompt">${index + 1}. ${question.prompt}</legend>
              ${
                question.choices.length > 0
                  ? html`<ol type="a">
                      ${question.choices.map(
                        (choice, choiceIndex) =>
                          html`<li>
                            <label
                              ><input
                                type="radio"
                                id=${choiceIndex === 0 ? id : `${id}-${choiceIndex}`}
                                name=${id}
                                value=${String(choiceIndex)}
                                .checked=${live(given === String(choiceIndex))}
                                @change=${() => handlers.answer(index, String(choiceIndex))}
                              />${choice}</label
                            >
                          </li>`,
                      )}
                    </ol>`
                  : html`<input
                      type="text"
                      class="open-answer"
                      id=${id}
                      autocomplete="off"
                      placeholder="Your answer"
                      maxlength=${MAX_ANSWER_LENGTH}
                      aria-labelledby="${id}-prompt"
                      .value=${live(given)}
                      @input=${(event: Event) => handlers.answer(index, (event.target as HTMLInputElement).value)}
                    />`
              }
            </fieldset>
            ${
              item
                ? html`<p
                    class="quiz-feedback ${item.correct ? 'correct' : 'wrong'}"
                    data-testid="quiz-feedback"
                  >
                    <strong>${item.correct ? '✓ Right' : '✗ Wrong'}</strong> ${item.feedback}
                  </p>`
                : nothing
            }
          </li>`;
        })}
      </ol>
      ${
        state.error
          ? html`<p class="quiz-error" role="alert" id="quiz-${quizRunId}-error" data-testid="quiz-error">
              ${state.error.message}
            </p>`
          : nothing
      }
      ${
        loop.latest
          ? nothing
          : html`<p class="muted" data-testid="quiz-stale">
              A newer quiz is in this session: a grade run grades that one, so this form is closed.
            </p>`
      }
      <button type="submit" data-testid="quiz-submit" ?disabled=${disabled}>
        ${state.busy ? 'Grading…' : grade ? 'Submit again' : 'Submit answers'}
      </button>
    </form>
    ${grade ? renderGrade(grade, quiz.topic) : nothing}`;
}

/** The grade run's outcome for the quiz above it: its score, where it is, or what failed. */
function renderGrade(grade: GradeView, topic: string): TemplateResult {
  const ended = grade.status === 'completed' || grade.status === 'failed' || grade.status === 'cancelled';
  const unplaced = grade.feedback.filter((item) => item.index === null);
  return html`<section
    class="quiz-grade ${grade.error ? 'error' : ''}"
    data-testid="quiz-grade"
    data-run-id=${grade.runId}
    data-status=${grade.status}
    aria-live="polite"
    aria-label="Grade of the quiz${topic ? ` on ${topic}` : ''}"
  >
    ${
      grade.score !== null && grade.maxScore !== null
        ? html`<p class="score" data-testid="quiz-score">Score: ${grade.score} / ${grade.maxScore}</p>`
        : nothing
    }
    ${ended ? nothing : html`<p data-testid="quiz-grading">Grading your answers (${grade.status})…</p>`}
    ${grade.error ? html`<p data-testid="quiz-grade-error">${grade.error}</p>` : nothing}
    ${
      unplaced.length > 0
        ? html`<ul>
            ${unplaced.map(
              (item) =>
                html`<li data-testid="quiz-feedback">
                  <strong>${item.correct ? '✓ Right' : '✗ Wrong'}</strong> ${item.questionId}:
                  ${item.feedback}
                </li>`,
            )}
          </ul>`
        : nothing
    }
    <p class="muted">Graded by run <code>${grade.runId}</code>, for the quiz above.</p>
  </section>`;
}
