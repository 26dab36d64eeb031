import { getOperationAST, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context';

type Execute = (args: ExecutionArgs) => unknown;

/**
 * Runs the publisher's mutations — Laravel's publishes, a request per event — as code compiled
 * by graphql-jit from the document: coercing the variables and executing the selection cost
 * ~110 µs of graphql-js per publish on a slow machine, most of what a publish costs beyond
 * HTTP and Redis. Compiled once per document (the document caches hand the same object back)
 * and operation name.
 *
 * Only the publisher's, because compiling costs far more than executing once, and only a
 * caller holding the publisher token should be able to make the service compile. A request
 * error (variables that do not coerce: nothing has been resolved) is answered by graphql-js'
 * own executor, so a bad input is reported in the same words as on every other path;
 * errors raised while resolving keep graphql-jit's form, which names no source location.
 */
export function useCompiledPublisherMutations(): Plugin {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

  const compiledFor = (args: ExecutionArgs): CompiledQuery | null => {
    let byOperation = compiled.get(args.document);
    if (!byOperation) compiled.set(args.document, (byOperation = new Map()));
    const name = args.operationName ?? '';
    let query = byOperation.get(name);
    if (query === undefined) {
      const compilation = compileQuery(args.schema, args.document, args.operationName ?? undefined);
      byOperation.set(name, (query = isCompiledQuery(compilation) ? compilation : null));
    }
    return query;
  };

  const isRequestError = (result: ExecutionResult) => result.errors !== undefined && !('data' in result);

  const compiledExecute =
    (fallback: Execute): Execute =>
    (args) => {
      const query = compiledFor(args);
      if (!query) return fallback(args);
      const answer = (result: ExecutionResult) => (isRequestError(result) ? fallback(args) : result);
      const result = query.query(args.rootValue, args.contextValue, args.variableValues);
      return result instanceof Promise ? result.then(answer) : answer(result);
    };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const caller = (args.contextValue as Partial<GraphQLContext> | undefined)?.caller;
      if (caller?.kind !== 'publisher' || getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      setExecuteFn(compiledExecute(executeFn as Execute) as typeof executeFn);
    },
  };
}
