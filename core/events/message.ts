export const MESSAGE_ROLES = ['user', 'assistant', 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** A conversation message kept for `listMessages`. */
export interface Message {
  id: string;
  session_id: string;
  run_id: string | null;
  role: MessageRole;
  content: string;
  tool: string | null;
  ts: string;
}
