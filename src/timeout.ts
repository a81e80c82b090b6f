/**
 * Shared: Bounds a promise in time: rejects with an ETIMEDOUT error ("no answer within N ms") when `work`
 * has not settled by then. The work itself is not cancelled; callers close what it was using.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
