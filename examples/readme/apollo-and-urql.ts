import { ApolloClient, InMemoryCache } from '@apollo/client';
import { Client } from '@urql/core';
import { ForumActivityDocument } from '@mechamap/realtime-client';
import { createRealtimeLink } from '@mechamap/realtime-client/apollo';
import { realtimeExchange } from '@mechamap/realtime-client/urql';
import { realtime } from './realtime';

export const apollo = new ApolloClient({ link: createRealtimeLink(realtime), cache: new InMemoryCache() });
apollo.subscribe({ query: ForumActivityDocument, variables: { forumId: '12' } }).subscribe(({ data }) => data && console.log(data.forumActivity.title));

export const urql = new Client({ url: '/graphql', exchanges: [realtimeExchange(realtime, { allOperations: true })] });
urql.subscription(ForumActivityDocument, { forumId: '12' }).subscribe(({ data }) => data && console.log(data.forumActivity.title));
