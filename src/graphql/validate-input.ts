import { GraphQLError } from 'graphql';
import { graphQLError } from './errors';

/** Refuses an input whose serialized size passes the limit, before anything is published. */
export function assertInputSize(input: unknown, maxBytes: number, size = Buffer.byteLength(JSON.stringify(input))): void {
  if (size > maxBytes) {
    throw graphQLError('BAD_USER_INPUT', `The input is ${size} bytes; the limit is ${maxBytes} bytes.`);
  }
}

/** The most inputs one batch mutation accepts. */
export const MAX_BATCH_INPUTS = 1000;
/** A whole batch may be this many times the size limit of one input. */
export const MAX_BATCH_PAYLOAD_FACTOR = 16;

/**
 * Checks every input of a batch before anything is published: the count, the batch's whole
 * size, then for each input its size and `check` (the single mutation's other checks); the
 * first failure refuses the batch, its message naming the input. Each input is serialized
 * once: the batch's size is the sum of its inputs' sizes plus the brackets and commas of
 * the array, exactly `JSON.stringify(inputs)`'s length in bytes.
 */
export function assertBatch<Input>(inputs: readonly Input[], maxInputBytes: number, check: (input: Input) => void): void {
  if (inputs.length > MAX_BATCH_INPUTS) {
    throw graphQLError('BAD_USER_INPUT', `A batch holds at most ${MAX_BATCH_INPUTS} inputs; this one has ${inputs.length}.`);
  }
  const sizes = inputs.map((input) => Buffer.byteLength(JSON.stringify(input)));
  const maxBytes = maxInputBytes * MAX_BATCH_PAYLOAD_FACTOR;
  const size = sizes.reduce((sum, inputSize) => sum + inputSize, 2 + Math.max(0, inputs.length - 1));
  if (size > maxBytes) throw graphQLError('BAD_USER_INPUT', `The batch is ${size} bytes; the limit is ${maxBytes} bytes.`);
  inputs.forEach((input, index) => {
    try {
      assertInputSize(input, maxInputBytes, sizes[index]);
      check(input);
    } catch (error) {
      if (error instanceof GraphQLError) throw graphQLError('BAD_USER_INPUT', `inputs[${index}]: ${error.message}`);
      throw error;
    }
  });
}

/** Required strings must carry something, not only whitespace. */
export function assertNotBlank(fields: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(fields)) {
    if (value.trim() === '') throw graphQLError('BAD_USER_INPUT', `The field "${name}" must not be blank.`);
  }
}
