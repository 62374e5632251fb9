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

/**
 * The same for a warning (level `warn`, e.g. a tool call's retry): the row says "warn", which no
 * colour alone could tell apart from an ordinary row.
 *
 * @example
 * ```ts
 * html`<li>${event.level === 'warn' ? renderWarnMark() : nothing} ${event.message}</li>`;
 * ```
 */
export function renderWarnMark(): TemplateResult {
  return html`<span class="state-mark warn-mark" data-testid="warn-mark">warn</span>`;
}
