import { graphQLError } from './errors';

/** Refuses an input whose serialized size passes the limit, before anything is published. */
export function assertInputSize(input: unknown, maxBytes: number): void {
  const size = Buffer.byteLength(JSON.stringify(input));
  if (size > maxBytes) {
    throw graphQLError('BAD_USER_INPUT', `The input is ${size} bytes; the limit is ${maxBytes} bytes.`);
  }
}

/** Required strings must carry something, not only whitespace. */
export function assertNotBlank(fields: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(fields)) {
    if (value.trim() === '') throw graphQLError('BAD_USER_INPUT', `The field "${name}" must not be blank.`);
  }
}
