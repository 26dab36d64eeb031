import { getOperationAST, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context';

type Execute = (args: ExecutionArgs) => unknown;

/**
 * The publisher's mutations — Laravel's publishes, a request per event — executed by code
 * compiled by graphql-jit from the document, inside Yoga's pipeline (every hook sees them as
 * any operation): coercing the variables and executing the selection cost ~110 µs of
 * graphql-js per publish on a slow machine, most of what a publish costs beyond HTTP and
 * Redis. Compiled once per document (the document caches hand the same object back) and
 * operation name. This plugin is the only executor of publisher mutations, whatever the route.
 *
 * Only the publisher's, because compiling costs far more than executing once, and only a
 * caller holding the publisher token should be able to make the service compile. A request
 * error (variables that do not coerce: nothing has been resolved) is answered by graphql-js'
 * own executor, so a bad input is reported in the same words as on every other path;
 * errors raised while resolving keep graphql-jit's form, which names no source location.
 */
export function useCompiledPublisherMutations(): Plugin {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

  const compiledFor = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): CompiledQuery | null => {
    let byOperation = compiled.get(document);
    if (!byOperation) compiled.set(document, (byOperation = new Map<string, CompiledQuery | null>()));
    const name = operationName ?? '';
    let query = byOperation.get(name);
    if (query === undefined) {
      const compilation = compileQuery(schema, document, operationName ?? undefined);
      byOperation.set(name, (query = isCompiledQuery(compilation) ? compilation : null));
    }
    return query;
  };

  const isRequestError = (result: ExecutionResult) => result.errors !== undefined && !('data' in result);

  const compiledExecute =
    (fallback: Execute): Execute =>
    (args) => {
      const query = compiledFor(args.schema, args.document, args.operationName);
      if (!query) return fallback(args);
      const answer = (result: ExecutionResult) => (isRequestError(result) ? fallback(args) : result);
      const result = query.query(args.rootValue, args.contextValue, args.variableValues);
      return result instanceof Promise ? result.then(answer) : answer(result);
    };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const caller = (args.contextValue as Partial<GraphQLContext> | undefined)?.caller;
      if (caller?.kind !== 'publisher' || getOperationAST(args.document as DocumentNode, args.operationName as string | undefined)?.operation !== 'mutation')
        return;
      setExecuteFn(compiledExecute(executeFn as Execute) as typeof executeFn);
    },
  };
}
