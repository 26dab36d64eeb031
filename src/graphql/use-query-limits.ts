import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import type { Plugin } from 'graphql-yoga';
import type { Limits } from '../config/config';

/**
 * Bounds on what one document may ask for (GraphQL Armor's maintained rules rather than
 * parsing of our own), and introspection only where it is allowed. They run in validation,
 * so HTTP, SSE and WebSocket operations meet them alike.
 */
export function useQueryLimits(limits: Limits): Plugin[] {
  const plugins: Plugin[] = [
    maxTokensPlugin({ n: limits.maxQueryTokens }),
    maxDepthPlugin({ n: limits.maxQueryDepth, ignoreIntrospection: true }),
    maxAliasesPlugin({ n: limits.maxQueryAliases }),
  ];
  if (!limits.introspection) plugins.push(useDisableIntrospection());
  return plugins;
}
