import { getOperationAST, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context';

type Execute = (args: ExecutionArgs) => unknown;
type MaybePromise<T> = T | Promise<T>;

/** Carries the result of a run outside Yoga's pipeline into it, so that its hooks see that result. */
const RESULT_OF_DIRECT_RUN = Symbol('result of the direct run');

export interface DirectRun {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly operationName?: string;
  readonly variableValues?: Record<string, unknown>;
  readonly contextValue: GraphQLContext;
}

/**
 * The publisher's mutations — Laravel's publishes, a request per event — as code compiled by
 * graphql-jit from the document: coercing the variables and executing the selection cost
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
export function createCompiledPublisherMutations() {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

  const compiledFor = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): CompiledQuery | null => {
    let byOperation = compiled.get(document);
    if (!byOperation) compiled.set(document, (byOperation = new Map()));
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
      const ranDirectly = (args.contextValue as Record<symbol, ExecutionResult | undefined>)[RESULT_OF_DIRECT_RUN];
      const answer = (result: ExecutionResult) => (isRequestError(result) ? fallback(args) : result);
      if (ranDirectly) return answer(ranDirectly);
      const query = compiledFor(args.schema, args.document, args.operationName);
      if (!query) return fallback(args);
      const result = query.query(args.rootValue, args.contextValue, args.variableValues);
      return result instanceof Promise ? result.then(answer) : answer(result);
    };

  return {
    /** The Yoga plugin: a publisher's mutation executes compiled inside the pipeline, or takes the result `runDirectly` got. */
    plugin: {
      onExecute({ args, executeFn, setExecuteFn }) {
        const caller = (args.contextValue as Partial<GraphQLContext> | undefined)?.caller;
        if (caller?.kind !== 'publisher' || getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
        setExecuteFn(compiledExecute(executeFn as Execute) as typeof executeFn);
      },
    } satisfies Plugin,

    /**
     * Runs a publisher's mutation without Yoga's pipeline, whose hooks only ever act on errors
     * (masking, error codes) and cost a publish a third of its allocations. The result, when
     * the mutation has a compiled form; null when it has none.
     */
    runDirectly({ schema, document, operationName, variableValues, contextValue }: DirectRun): MaybePromise<ExecutionResult> | null {
      const query = compiledFor(schema, document, operationName);
      return query && (query.query(undefined, contextValue, variableValues) as MaybePromise<ExecutionResult>);
    },

    /**
     * What the pipeline's context must carry for a result of `runDirectly` with errors: the
     * pipeline then answers with that result (a request error: with graphql-js' report of it),
     * and every hook processes it as if the mutation had run there; nothing runs twice.
     */
    carrying: (result: ExecutionResult) => ({ [RESULT_OF_DIRECT_RUN]: result }),
  };
}

export type CompiledPublisherMutations = ReturnType<typeof createCompiledPublisherMutations>;
