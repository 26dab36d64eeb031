import { runSoak } from '../../bench/soak';
import { formatSoakTable } from '../../bench/soak-report';
import { REDIS_URL } from '../utils/redis';

// The soak of bench/ at a smoke size (about 20 s): a real service process, 200 clients in two
// client processes that leave and come back resuming with `after`, 50 events a second. It
// proves the soak works and that nothing is lost across reconnects, not that memory is flat:
// ten seconds are too short to tell a leak from the heap growing to its working size.
describe('the soak at smoke size', () => {
  it('loses and duplicates nothing across reconnects and reports every figure', async () => {
    const clients = 200;
    const report = await runSoak({ duration: 10, clients, rate: 50, redisUrl: REDIS_URL });

    expect(report.problems).toEqual([]);
    expect(report.connections.initiallySubscribed).toBe(clients);
    expect(report.connections.errors).toBe(0);
    // The clients did churn: they left both ways and came back resuming with `after`.
    expect(report.connections.connects).toBeGreaterThan(clients);
    expect(report.connections.resumes).toBeGreaterThan(0);
    expect(report.connections.cleanCloses).toBeGreaterThan(0);
    expect(report.connections.abruptCloses).toBeGreaterThan(0);

    const { events } = report;
    expect(events.publishErrors).toBe(0);
    expect(events.notificationsAccepted).toBe(events.notificationsSent);
    expect(events.notificationsSent + events.forumSent).toBe(500);
    expect(events).toMatchObject({ lost: 0, duplicates: 0, outOfOrder: 0, misrouted: 0, unexpected: 0 });
    expect(events.notificationsReceived).toBe(events.notificationsAccepted);
    expect(events.usersSettled).toBe(events.usersWithNotifications);
    expect(report.verdict.noLoss).toBe(true);

    const { memory } = report;
    expect(memory.start?.rssKiB).toBeGreaterThan(0);
    expect(memory.end?.rssKiB).toBeGreaterThan(0);
    expect(memory.start?.heapUsedMiB).toBeGreaterThan(0);
    expect(Number.isFinite(memory.rssChangePercent)).toBe(true);
    expect(memory.curve.length).toBeGreaterThanOrEqual(5);
    expect(memory.idle?.connections).toBe(0);
    expect(formatSoakTable(report)).toContain('| lost / duplicated / out of order / misrouted notifications | 0 / 0 / 0 / 0 |');
  }, 60_000);
});
