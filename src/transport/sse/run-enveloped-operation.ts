import { getOperationAST, GraphQLError, type ExecutionResult } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { DocumentCache } from '../../graphql/document-cache';
import type { OperationOutcome, RunOperation } from './single-connection-streams';

/**
 * Runs an operation of the single connection mode through Yoga's enveloped pipeline, as the
 * WebSocket adapter does: parse and validation (with the query limits) through the shared
 * document cache, the context from the caller, then the enveloped subscribe or execute, so
 * error masking, error codes and the token-expiry end of subscriptions apply alike. A
 * document that does not parse or validate is refused with 400 and its errors, as the
 * GraphQL-over-HTTP spec answers it (the protocol says so for this mode).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createEnvelopedOperationRunner(yoga: YogaServerInstance<any, any>, documents: DocumentCache): RunOperation {
  const refuse = async (errors: readonly GraphQLError[]): Promise<OperationOutcome> => {
    const response = processRegularResult({ errors }, yoga.fetchAPI, 'application/json');
    return { kind: 'refused', answer: { status: 400, body: await response.text() } };
  };

  return async (caller, params) => {
    const enveloped = yoga.getEnveloped({ params, caller });
    const validated = documents.validate(params.query, () => enveloped);
    if (!('document' in validated)) return refuse(validated);
    const operation = getOperationAST(validated.document, params.operationName)?.operation;
    if (!operation) return refuse([new GraphQLError('Could not determine what operation to execute.', { extensions: { code: 'BAD_REQUEST' } })]);
    const args = {
      schema: enveloped.schema,
      document: validated.document,
      operationName: params.operationName,
      variableValues: params.variables,
      contextValue: await enveloped.contextFactory(),
    };
    const results = (await (operation === 'subscription' ? enveloped.subscribe(args) : enveloped.execute(args))) as
      AsyncIterable<ExecutionResult> | ExecutionResult;
    return { kind: 'results', results };
  };
}
