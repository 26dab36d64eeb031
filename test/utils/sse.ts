/**
 * Subscribes over GraphQL-over-SSE the way a browser's fetch would, and yields each `next`
 * event's JSON payload.
 */
export async function subscribeOverSse(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    signal: controller.signal,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';

  async function next(): Promise<Record<string, unknown>> {
    for (;;) {
      const boundary = buffered.indexOf('\n\n');
      if (boundary >= 0) {
        const block = buffered.slice(0, boundary);
        buffered = buffered.slice(boundary + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n');
        if (data !== '') return JSON.parse(data) as Record<string, unknown>;
        continue;
      }
      const chunk = await reader.read();
      if (chunk.done) throw new Error('the event stream ended');
      buffered += chunk.value;
    }
  }

  return { status: response.status, next, close: () => controller.abort() };
}
