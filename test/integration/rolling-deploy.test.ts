import { postGraphQL } from '../utils/http';
import { freePort } from '../utils/free-port';
import { NGINX, startNginx, type RunningNginx } from '../utils/nginx';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { describeWithProgram } from '../utils/programs';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';
import { resumingSubscriber } from '../utils/resuming-subscriber';
import { runService, waitForLiveSubscriptions } from '../utils/service-process';
import { PUBLISHER_TOKEN } from '../utils/test-app';
import { userToken } from '../utils/tokens';

interface Running {
  readonly port: number;
  stop(): Promise<number | null>;
}

/** A service process on `port`, as `systemctl start mechamap-realtime@<port>` or a recreated container starts one; resolves once it listens. */
async function startOn(port: number, env: Record<string, string>): Promise<Running> {
  const { child, output, exited } = runService({ ...env, PORT: String(port), LOG_LEVEL: 'info' });
  await new Promise<void>((resolve, reject) => {
    const onData = () => output().stdout.includes('"msg":"listening"') && resolve();
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`the service exited with ${code}: ${output().stderr}`)));
  });
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describeWithProgram(NGINX, 'nginx', 'rolling deploys behind nginx (README: "Rolling deploys")', () => {
  let nginx: RunningNginx;
  let processes: Running[] = [];
  let subscriber: ReturnType<typeof resumingSubscriber> | undefined;
  afterEach(async () => {
    await subscriber?.dispose();
    await nginx?.stop();
    await Promise.all(processes.map((process) => process.stop()));
  });

  it('replaces the processes one by one while Laravel publishes: the resuming subscriber gets every accepted notification, once and in order', async () => {
    const env = { REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix(), REPLAY_MAX_PER_USER: '1000' };
    const ports = await Promise.all([freePort(), freePort()]);
    processes = await Promise.all(ports.map((port) => startOn(port, env)));
    nginx = await startNginx({ realtime: ports.map((port) => `127.0.0.1:${port}`), reverb: `127.0.0.1:${await freePort()}` });

    subscriber = resumingSubscriber([nginx.wsUrl], '93', await userToken(93));
    await subscriber.connected();
    await Promise.race(ports.map((port) => waitForLiveSubscriptions(`http://127.0.0.1:${port}`, 'notification', 1)));
    // A client resumes from the last notification it saw: one that has seen none has no position yet.
    await postGraphQL(nginx.url, PUBLISH_NOTIFICATION, { input: { userId: '93', type: 't', title: 'first' } }, PUBLISHER_TOKEN);
    await subscriber.received(1);

    // Laravel, publishing through nginx the whole time; a publish answered with an error (a 502
    // from a process that stopped under it) is one Laravel would retry: the accepted ones must arrive.
    const accepted: string[] = [];
    let refused = 0;
    let publishing = true;
    const publisher = (async () => {
      for (let index = 0; publishing; index += 1) {
        const response = await postGraphQL(nginx.url, PUBLISH_NOTIFICATION, { input: { userId: '93', type: 't', title: `${index}` } }, PUBLISHER_TOKEN).catch(
          () => undefined,
        );
        if (response?.data) accepted.push(`${index}`);
        else refused += 1;
        // A steady stream rather than a flood: the processes being started need the CPU too.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    // The recipe: one process at a time, stopped with SIGTERM (its sockets closed with 1012, its
    // publishes in flight finished), started again on its port, ready before the next one goes.
    try {
      for (const [slot, process] of processes.entries()) {
        expect(await process.stop()).toBe(0);
        processes[slot] = await startOn(process.port, env);
        expect((await fetch(`http://127.0.0.1:${process.port}/readyz`)).status).toBe(200);
        // nginx tries the process again only once its fail_timeout (2 s) has passed since the last
        // refused connect, counted in whole seconds: up to 3 s. The README's recipe waits as long.
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    } finally {
      publishing = false;
      await publisher;
    }
    const acceptedDuringDeploy = accepted.length;

    await subscriber.received(accepted.length + 1);
    expect(subscriber.titles).toEqual(['first', ...accepted]);
    // Both processes were replaced, so the subscriber resumed at least once, and publishing went on throughout.
    expect(subscriber.connections()).toBeGreaterThanOrEqual(2);
    expect(acceptedDuringDeploy).toBeGreaterThan(20);
    // Refused (Laravel retries those): what a stopping process had in hand, and what came while
    // nginx had not yet seen the restarted process back.
    expect(refused).toBeLessThan(accepted.length / 4);
  }, 180_000);
});
