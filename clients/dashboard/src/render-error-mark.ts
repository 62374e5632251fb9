import { html, type TemplateResult } from 'lit';

/**
 * A word that says "this failed" next to the red of an error row or panel, so colour is not the
 * only carrier of it (for colour-blind readers, and in greyscale).
 *
 * @example
 * ```ts
 * html`<h3>Answer ${answer.failed ? renderErrorMark('failed') : nothing}</h3>`;
 * ```
 */
export function renderErrorMark(word: string): TemplateResult {
  return html`<span class="state-mark error-mark" data-testid="error-mark">${word}</span>`;
}
