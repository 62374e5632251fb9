import { createHmac } from 'node:crypto';

/** WEBHOOK_SECRET's form: `whsec_` and the key's bytes in base64, as Standard Webhooks writes secrets. */
export const WEBHOOK_SECRET_PATTERN = '^whsec_[A-Za-z0-9+/]{32,}={0,2}$';

/**
 * The key of a `whsec_…` secret: its base64 part decoded (receivers' Standard Webhooks libraries
 * decode it the same way).
 *
 * @example
 * ```ts
 * webhookKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'); // 24 bytes
 * ```
 */
export function webhookKey(secret: string): Buffer {
  return Buffer.from(secret.slice('whsec_'.length), 'base64');
}

/**
 * The `webhook-signature` header of a delivery (Standard Webhooks): `v1,` and the base64 HMAC-SHA256,
 * under the key, of `<webhook-id>.<webhook-timestamp>.<body>`.
 *
 * @example
 * ```ts
 * signWebhook(webhookKey(secret), 'msg_1', 1764864000, '{"type":"run.completed"}'); // 'v1,K5oZ…='
 * ```
 */
export function signWebhook(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
