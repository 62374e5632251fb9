import { html, type TemplateResult } from 'lit';
// Keyed by session: the focused button stays on its session when the list refreshes under it.
import { repeat } from 'lit/directives/repeat.js';
import { moveListFocus } from './list-focus.ts';
import type { Session } from './types.ts';

/**
 * The sessions matching the filters, newest first; the selected one is `aria-current`. Each is a
 * button; the list is one Tab stop (the selected session, else the first), arrow keys, Home and End
 * move between them, Enter or Space selects. So Tab gets past a long list in one press.
 */
export function renderSessionList(
  sessions: readonly Session[],
  selectedId: string | null,
  select: (sessionId: string) => void,
): TemplateResult {
  if (sessions.length === 0) return html`<p class="muted" data-testid="no-sessions">No sessions match.</p>`;
  const tabStop = sessions.some((session) => session.id === selectedId) ? selectedId : sessions[0]!.id;
  return html`<ul class="session-list" data-testid="session-list" @keydown=${moveListFocus}>
    ${repeat(
      sessions,
      (session) => session.id,
      (session) =>
        html`<li>
          <button
            type="button"
            class="session-item state-${session.state}"
            data-testid="session-item"
            data-session-id=${session.id}
            aria-current=${session.id === selectedId ? 'true' : 'false'}
            tabindex=${session.id === tabStop ? '0' : '-1'}
            @click=${() => select(session.id)}
          >
            <span class="session-name">${session.name || session.id.slice(0, 8)}</span>
            <span class="session-meta"
              >${session.user_id ?? 'anonymous'} ·
              ${session.state}${session.active_run_id ? ' · running' : ''}</span
            >
          </button>
        </li>`,
    )}
  </ul>`;
}
