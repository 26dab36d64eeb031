import { GraphQLError } from 'graphql';
import { EncodedResult } from '../../src/graphql/subscriptions/subscriber';
import { nextFrame } from '../../src/transport/graphql-ws-protocol';
import { nextEvent as nextSingleConnectionEvent } from '../../src/transport/sse/event-stream-events';
import { nextEvent as nextStreamEvent } from '../../src/transport/sse-writer';

const result = { data: { forumActivity: { id: '7', title: 'Bearing loads' } } };

describe('EncodedResult', () => {
  it('frames one result for every transport that shares it, each in its own protocol, even under the same operation id', () => {
    const encoded = new EncodedResult(result);
    const webSocket = encoded.frame('1', nextFrame).toString();
    const singleConnection = encoded.frame('1', nextSingleConnectionEvent).toString();
    const stream = encoded.frame('', nextStreamEvent).toString();
    expect(JSON.parse(webSocket)).toEqual({ id: '1', type: 'next', payload: result });
    expect(singleConnection).toBe(`event: next\ndata: ${JSON.stringify({ id: '1', payload: result })}\n\n`);
    expect(stream).toBe(`event: next\ndata: ${JSON.stringify(result)}\n\n`);
    expect(encoded.frame('2', nextFrame).toString()).toBe(webSocket.replace('"id":"1"', '"id":"2"'));
  });

  it('builds a frame once per protocol and key', () => {
    const encoded = new EncodedResult(result);
    const build = jest.fn(nextFrame);
    const frames = ['1', '1', '2', '1', '2'].map((id) => encoded.frame(id, build));
    expect(build).toHaveBeenCalledTimes(2);
    expect(frames[1]).toBe(frames[0]);
    expect(frames[3]).toBe(frames[0]);
    expect(frames[4]).toBe(frames[2]);
  });

  it('writes data before errors, each error as GraphQL words it', () => {
    const encoded = new EncodedResult({ errors: [new GraphQLError('Not allowed', { extensions: { code: 'FORBIDDEN' } })], data: null });
    expect(encoded.json).toBe('{"data":null,"errors":[{"message":"Not allowed","extensions":{"code":"FORBIDDEN"}}]}');
  });
});
