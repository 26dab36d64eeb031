import { pollUntil } from './poll';

/** How long until `origin`'s /readyz answers 200 (polled every 25 ms), failing past `limitMs`. */
export async function millisecondsUntilReady(origin: string, limitMs: number): Promise<number> {
  const started = Date.now();
  await pollUntil(async () => (await fetch(`${origin}/readyz`)).status, {
    until: (status) => status === 200,
    what: '/readyz answering 200',
    timeoutMs: limitMs,
    everyMs: 25,
  });
  return Date.now() - started;
}
