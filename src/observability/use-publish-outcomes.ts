import { getOperationAST, Kind, type DocumentNode, type ExecutionResult, type GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/** Records one mutation root field's outcome: `code` null on success, else its error's extensions.code. */
export type PublishAnswered = (field: string, code: string | null) => void;

/** A field whose error carries no code was masked: an unexpected error. */
const codeOf = (error: GraphQLError | undefined): string | null =>
  error === undefined ? null : typeof error.extensions?.['code'] === 'string' ? error.extensions['code'] : 'INTERNAL_SERVER_ERROR';

/**
 * Each root field of a mutation with its outcome: the error at its path, or, for a request
 * error (nothing ran: no `data`), the request's first error.
 */
function outcomesOf(document: DocumentNode, operationName: string | null | undefined, result: ExecutionResult): Array<[string, string | null]> {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'mutation') return [];
  const requestError = result.data == null ? result.errors?.[0] : undefined;
  const outcomes: Array<[string, string | null]> = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    const key = selection.alias?.value ?? selection.name.value;
    const error = requestError ?? result.errors?.find((candidate) => candidate.path?.[0] === key);
    outcomes.push([selection.name.value, codeOf(error)]);
  }
  return outcomes;
}

/**
 * Counts every mutation's outcome by root field and `extensions.code`, reading the result as
 * Yoga's execute hands it back, on every transport (the HTTP fast path runs Yoga's execute
 * too). Placed after useBadUserInputCode, so a request error already has the code clients see.
 * A request refused before it runs (a bad token) is counted by realtime_auth_failures_total.
 */
export function usePublishOutcomes(publishAnswered: PublishAnswered): Plugin {
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result }) => {
        if (isAsyncIterable(result)) return;
        for (const [field, code] of outcomesOf(args.document as DocumentNode, args.operationName as string | null | undefined, result))
          publishAnswered(field, code);
      },
    }),
  };
}
