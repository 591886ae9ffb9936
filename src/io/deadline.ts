/**
 * Run an I/O operation under a total deadline. The operation gets an abort signal (so its socket
 * is closed), and the promise is raced against the deadline in case a layer ignores the signal:
 * an idle timeout alone never ends a server that sends one byte every few seconds.
 */
export async function withDeadline<T>(ms: number, expiredError: () => Error, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = expiredError();
      ctl.abort(err);
      reject(err);
    }, ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([run(ctl.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
