import { openRawSocket } from '../utils/raw-socket';
import { startTestApp } from '../utils/test-app';

describe('the heartbeat sweep', () => {
  it('reaches sockets past the first slice it pings: a half-open socket opened last is terminated, the others kept', async () => {
    // Sockets that never send connection_init stay open for the test's length. The clients are in
    // this process too: an interval of a second leaves them time to answer 600 pings on a busy machine.
    const server = await startTestApp({ HEARTBEAT_INTERVAL_MS: '1000', CONNECTION_INIT_TIMEOUT_MS: '60000' });
    const healthy = await Promise.all(Array.from({ length: 600 }, () => openRawSocket(server.wsUrl)));
    const deaf = await openRawSocket(server.wsUrl, { autoPong: false });
    expect((await deaf.closed).code).toBe(1006);
    expect(healthy.filter((raw) => raw.socket.readyState !== raw.socket.OPEN)).toHaveLength(0);
    for (const raw of healthy) raw.socket.close();
  });

  it('spreads its pings over the interval, and pings each socket once an interval', async () => {
    const intervalMs = 2000;
    const server = await startTestApp({ HEARTBEAT_INTERVAL_MS: String(intervalMs), CONNECTION_INIT_TIMEOUT_MS: '60000' });
    const sockets = await Promise.all(Array.from({ length: 200 }, () => openRawSocket(server.wsUrl)));
    // Each socket's first two pings, as it received them.
    const pings = await Promise.all(
      sockets.map(
        ({ socket }) =>
          new Promise<[number, number]>((resolve) => {
            const times: number[] = [];
            socket.on('ping', () => {
              if (times.push(performance.now()) === 2) resolve([times[0]!, times[1]!]);
            });
          }),
      ),
    );
    const firsts = pings.map(([first]) => first).sort((a, b) => a - b);
    // All at once, they would arrive within a few milliseconds; spread, they span most of the interval.
    expect(firsts.at(-1)! - firsts[0]!).toBeGreaterThan(intervalMs / 2);
    const busiestTenth = Math.max(...firsts.map((time) => firsts.filter((other) => other >= time && other < time + intervalMs / 10).length));
    expect(busiestTenth).toBeLessThanOrEqual(sockets.length / 4);
    for (const [first, second] of pings) expect(second - first).toBeGreaterThan(intervalMs * 0.75);
    for (const { socket } of sockets) socket.close();
  });
});
