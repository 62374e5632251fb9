import nock from 'nock';
import { afterEach, beforeEach } from 'vitest';

/**
 * Only nock answers outside HTTP in the calling suite: any other host is refused, except 127.0.0.1 for
 * in-process servers. Each test starts and ends with no interceptor left and every host allowed again.
 */
export function useNock(): void {
  beforeEach(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    nock.abortPendingRequests();
    nock.cleanAll();
    nock.enableNetConnect();
  });
}
