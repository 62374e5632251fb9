import { html, nothing, type TemplateResult } from 'lit';
import type { FinalAnswer } from './final-answer.ts';
import { renderErrorMark } from './render-error-mark.ts';

/**
 * The run's last assistant message: a quiz as numbered questions with lettered choices, else the
 * text (growing while it streams in, and saying so when it was cut short). `quizForm`, when given,
 * takes the place of the quiz's questions (the learner's quiz form, see render-quiz-form.ts).
 */
export function renderFinalAnswer(
  answer: FinalAnswer | null,
  quizForm?: TemplateResult,
): TemplateResult | typeof nothing {
  if (!answer) return nothing;
  const { quiz } = answer;
  return html`<section
    class="final-answer ${answer.failed ? 'error' : ''} ${answer.stopped ? 'incomplete' : ''}"
    data-testid="final-answer"
    data-seq=${answer.seq}
    data-streaming=${answer.streaming ? 'true' : nothing}
    aria-labelledby="final-answer-title"
  >
    <h3 id="final-answer-title">
      ${quiz ? `Quiz${quiz.topic ? `: ${quiz.topic}` : ''}` : 'Answer'}
      ${answer.streaming ? html`<span class="writing">writing…</span>` : nothing}
      ${answer.failed ? renderErrorMark('failed') : nothing}
    </h3>
    ${
      quiz && quizForm
        ? quizForm
        : quiz
          ? html`<ol class="quiz" data-testid="quiz">
              ${quiz.questions.map(
                (question) =>
                  html`<li data-testid="quiz-question">
                    <p>${question.prompt}</p>
                    ${
                      question.choices.length > 0
                        ? html`<ol type="a">
                            ${question.choices.map((choice) => html`<li>${choice}</li>`)}
                          </ol>`
                        : nothing
                    }
                  </li>`,
              )}
            </ol>`
          : html`<div class="content" data-testid="answer-text">${answer.content}</div>`
    }
    ${
      answer.stopped
        ? html`<p class="stopped" data-testid="answer-stopped">(stopped: ${answer.stopped})</p>`
        : nothing
    }
  </section>`;
}
