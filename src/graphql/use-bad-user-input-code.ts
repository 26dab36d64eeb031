import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/**
 * Variables that do not fit their types (a missing required field, an unknown enum value, a
 * field that does not exist) stop an operation before it runs, with no `extensions.code`.
 * The contract calls all of these `BAD_USER_INPUT`, so they are labelled as such.
 */
function labelRequestErrors(result: ExecutionResult): ExecutionResult | undefined {
  if (result.data !== undefined || !result.errors?.length) return undefined;
  if (result.errors.every((error) => error.extensions?.['code'] !== undefined)) return undefined;
  return {
    ...result,
    errors: result.errors.map((error) =>
      error.extensions?.['code'] !== undefined
        ? error
        : new GraphQLError(error.message, {
            nodes: error.nodes,
            originalError: error.originalError,
            extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
          }),
    ),
  };
}

export function useBadUserInputCode(): Plugin {
  const relabel = ({ result, setResult }: { result: unknown; setResult: (result: ExecutionResult) => void }) => {
    if (isAsyncIterable(result)) return;
    const labelled = labelRequestErrors(result as ExecutionResult);
    if (labelled) setResult(labelled);
  };
  return {
    onExecute: () => ({ onExecuteDone: relabel }),
    onSubscribe: () => ({ onSubscribeResult: relabel }),
  };
}
