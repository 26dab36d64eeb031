import fc from 'fast-check';
import { GraphQLDateTime } from 'graphql-scalars';
import { DateTime } from '../../src/graphql/date-time-scalar';

/** What a client receives for a serialized value: its JSON, or the error's message. */
function received(serialize: (value: unknown) => unknown, value: unknown): string {
  try {
    return JSON.stringify(serialize(value));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

const timestamp = fc.date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });

describe('the DateTime scalar', () => {
  it('refuses the empty string as graphql-scalars does, before any stamp has been seen', () => {
    jest.isolateModules(() => {
      const fresh = jest.requireActual<{ DateTime: typeof DateTime }>('../../src/graphql/date-time-scalar').DateTime;
      expect(() => fresh.serialize('')).toThrow(/invalid date-time-string/);
    });
  });

  it('serializes a canonical ISO string as itself', () => {
    expect(DateTime.serialize('2026-12-08T03:40:00.000Z')).toBe('2026-12-08T03:40:00.000Z');
  });

  it("gives clients exactly what graphql-scalars' DateTime gives them, for any value", () => {
    const value = fc.oneof(
      timestamp.map((date) => date.toISOString()),
      timestamp.map((date) => date.toISOString().replace('.000Z', 'Z')),
      timestamp.map((date) => date.toISOString().replace('Z', '+02:00')),
      timestamp.map((date) => date.toISOString().toLowerCase()),
      fc.constantFrom('2026-02-30T00:00:00.000Z', '2026-12-08T24:00:00.000Z', '2026-12-08T23:59:60.000Z', 'not a date', ''),
      timestamp,
      fc.integer(),
      fc.constantFrom(null, true, {}),
    );
    fc.assert(
      fc.property(value, (input) => {
        expect(received((v) => DateTime.serialize(v), input)).toBe(received((v) => GraphQLDateTime.serialize(v), input));
      }),
      { numRuns: 2000 },
    );
  });

  it('parses input as graphql-scalars does', () => {
    expect(DateTime.parseValue('2026-12-08T03:40:00.000Z')).toEqual(new Date('2026-12-08T03:40:00.000Z'));
    expect(() => DateTime.parseValue('2026-02-30T00:00:00.000Z')).toThrow(/invalid date-time-string/);
  });
});
