/** A checkpoint as callers see it: the state a flow saved, decrypted. */
export interface Checkpoint {
  id: string;
  session_id: string;
  run_id: string | null;
  label: string | null;
  state: Record<string, unknown>;
  created_at: string;
}

/** A checkpoint as stores keep it: `payload` is JSON, or AES-256-GCM ciphertext when a key is set. */
export interface StoredCheckpoint {
  id: string;
  session_id: string;
  run_id: string | null;
  label: string | null;
  payload: string;
  created_at: string;
}
