import { parseMessage } from 'graphql-ws';
import { parseClientMessage } from '../../src/transport/client-message';

describe('a client message parsed for graphql-ws', () => {
  it("gives a subscribe the query that canonicalQuery returns, and graphql-ws' parseMessage accepts it", () => {
    const canonicalQuery = jest.fn(() => 'the held copy');
    const text = JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { forumActivity { id } }', variables: { a: 1 } } });
    const message = parseClientMessage(text, canonicalQuery);
    expect(canonicalQuery).toHaveBeenCalledWith('subscription { forumActivity { id } }');
    expect(message).toEqual({ id: '1', type: 'subscribe', payload: { query: 'the held copy', variables: { a: 1 } } });
    expect(parseMessage(message)).toBe(message);
  });

  it('leaves other messages as they were parsed, and text that is not JSON as it is, for graphql-ws to refuse', () => {
    const canonicalQuery = jest.fn((query: string) => query);
    expect(parseClientMessage('{"type":"connection_init","payload":{"query":"x"}}', canonicalQuery)).toEqual({
      type: 'connection_init',
      payload: { query: 'x' },
    });
    expect(parseClientMessage('{"type":"subscribe","id":"1","payload":{"query":5}}', canonicalQuery)).toEqual({
      type: 'subscribe',
      id: '1',
      payload: { query: 5 },
    });
    expect(canonicalQuery).not.toHaveBeenCalled();
    expect(parseClientMessage('[1,2', canonicalQuery)).toBe('[1,2');
    expect(() => parseMessage(parseClientMessage('[1,2', canonicalQuery))).toThrow();
  });
});
