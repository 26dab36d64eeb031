import fc from 'fast-check';
import { execute, getOperationAST, Kind, parse, validate, type FieldNode } from 'graphql';
import type { NotificationEvent } from '../../src/events/payloads';
import { compileNotificationProjection } from '../../src/graphql/notification-projection';
import { loadConfig } from '../../src/config/load-config';
import { createGraphQLSchema } from '../../src/graphql/schema';
import { createDelivery } from '../../src/history/create-delivery';
import { createMetrics } from '../../src/observability/metrics';
import { createThreadState } from '../../src/threads/create-thread-state';
import { silentLogger } from '../utils/deliveries';

const { bus, history } = createDelivery({ kind: 'memory' }, { maxPerUser: 10, maxAgeSeconds: 60 }, silentLogger);
const schema = createGraphQLSchema({
  bus,
  history,
  metrics: createMetrics(),
  maxPayloadBytes: 65536,
  nextForumActivityId: () => '1',
  ...createThreadState({ kind: 'memory' }, silentLogger),
  channelMap: loadConfig({}).channelMap,
});

const FIELDS = ['id', 'userId', 'type', 'title', 'body', 'url', 'data', 'createdAt', '__typename'];

const selection = fc.record({ field: fc.constantFrom(...FIELDS), alias: fc.option(fc.constantFrom('a', 'b', 'when'), { nil: undefined }) });
const document = fc
  .record({ rootAlias: fc.option(fc.constant('mine'), { nil: undefined }), selections: fc.array(selection, { minLength: 1, maxLength: 8 }) })
  .map(
    ({ rootAlias, selections }) =>
      `subscription { ${rootAlias ? `${rootAlias}: ` : ''}notification(userId: "1") { ${selections.map(({ field, alias }) => (alias ? `${alias}: ${field}` : field)).join(' ')} } }`,
  );
const text = fc.string({ maxLength: 12 });
const event: fc.Arbitrary<NotificationEvent> = fc.record({
  id: fc.oneof(text, fc.constant(null as unknown as string)),
  userId: text,
  type: text,
  title: fc.oneof(text, fc.constant(undefined as unknown as string)),
  body: fc.option(text),
  url: fc.option(text),
  data: fc.option(fc.jsonValue()),
  // The service stamps every event; the resolver's latency metric needs the time to be valid.
  createdAt: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
});

const rootFieldOf = (source: string) => getOperationAST(parse(source))!.selectionSet.selections[0] as FieldNode;

describe('compileNotificationProjection', () => {
  it('builds exactly what graphql-js executes, or refuses the events graphql-js reports errors for', async () => {
    await fc.assert(
      fc.asyncProperty(document, event, async (source, notification) => {
        const parsed = parse(source);
        fc.pre(validate(schema, parsed).length === 0);
        const project = compileNotificationProjection(schema, rootFieldOf(source));
        expect(project).not.toBeNull();
        const executed = await execute({ schema, document: parsed, rootValue: notification, contextValue: { caller: { kind: 'publisher' } } });
        const projected = project!(notification);
        if (projected === null) expect(executed.errors?.length).toBeGreaterThan(0);
        else expect(JSON.stringify(projected)).toBe(JSON.stringify(executed));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an event whose value its scalar cannot represent', () => {
    const project = compileNotificationProjection(schema, rootFieldOf('subscription { notification(userId: "1") { id createdAt } }'))!;
    const event = { id: '1-0', userId: '1', type: 't', title: 't', body: null, url: null, data: null, createdAt: 'not a date' };
    expect(project(event)).toBeNull();
    expect(JSON.stringify(project({ ...event, createdAt: '2026-11-27T18:00:00.000Z' }))).toBe(
      JSON.stringify({ data: { notification: { id: '1-0', createdAt: '2026-11-27T18:00:00.000Z' } } }),
    );
  });

  it('declines selections it cannot build directly', () => {
    for (const source of [
      'subscription { notification(userId: "1") { ...on Notification { id } } }',
      'subscription { notification(userId: "1") { id @include(if: true) } }',
      'fragment F on Notification { id } subscription { notification(userId: "1") { ...F } }',
    ]) {
      const operation = getOperationAST(parse(source))!;
      const root = operation.selectionSet.selections.find((node) => node.kind === Kind.FIELD) as FieldNode;
      expect(compileNotificationProjection(schema, root)).toBeNull();
    }
  });
});
