import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TributaryError } from '../errors.ts';

const PREFIX = 'aes256gcm:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encodes checkpoint state for the store: JSON as it is, or AES-256-GCM ciphertext when a key is set.
 * The checkpoint's id and session id are bound as additional data, so ciphertext moved to
 * another record does not decrypt.
 *
 * @example
 * ```ts
 * const cipher = new CheckpointCipher(randomBytes(32));
 * const payload = cipher.seal({ step: 3 }, 'cp1/s1');   // 'aes256gcm:v1:…'
 * cipher.open(payload, 'cp1/s1');                      // { step: 3 }
 * ```
 */
export class CheckpointCipher {
  constructor(private readonly key: Buffer | undefined) {
    if (key && key.length !== 32)
      throw new TributaryError('CONFIG_INVALID', 'CHECKPOINT_KEY must be 32 bytes', {
        field: 'CHECKPOINT_KEY',
      });
  }

  get encrypts(): boolean {
    return this.key !== undefined;
  }

  seal(state: Record<string, unknown>, aad: string): string {
    const json = JSON.stringify(state);
    if (!this.key) return json;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(payload: string, aad: string): Record<string, unknown> {
    if (!payload.startsWith(PREFIX)) {
      // With a key set, plaintext at rest is refused: otherwise whoever can write the store could swap state in.
      if (this.key) {
        throw new TributaryError(
          'CHECKPOINT_DECRYPT_FAILED',
          `checkpoint ${aad} is stored unencrypted while CHECKPOINT_KEY is set`,
        );
      }
      return JSON.parse(payload) as Record<string, unknown>;
    }
    if (!this.key) {
      throw new TributaryError(
        'CHECKPOINT_DECRYPT_FAILED',
        `checkpoint ${aad} is encrypted and no CHECKPOINT_KEY is set`,
      );
    }
    const raw = Buffer.from(payload.slice(PREFIX.length), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const json = Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
      return JSON.parse(json) as Record<string, unknown>;
    } catch (cause) {
      throw new TributaryError(
        'CHECKPOINT_DECRYPT_FAILED',
        `checkpoint ${aad} cannot be decrypted: wrong CHECKPOINT_KEY or altered data`,
        { cause },
      );
    }
  }
}
