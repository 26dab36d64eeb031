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
});
