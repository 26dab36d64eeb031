import { graphQLError } from '../errors';
import type { Resolvers } from '../generated/resolvers-types';

export function createViewerResolvers(): Resolvers {
  return {
    Query: {
      viewer(_parent, _args, { caller }) {
        if (caller.kind === 'invalid') throw graphQLError('UNAUTHENTICATED', 'The token is not valid.');
        return caller.kind === 'user' ? caller.user : null;
      },
    },
    Viewer: {
      roles: (user) => [...user.roles],
    },
  };
}
