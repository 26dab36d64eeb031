import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runService, startServiceProcess, waitForLiveSubscriptions } from '../utils/service-process';
import { connectClient } from '../utils/ws-client';

const run = promisify(execFile);

describe('a newcomer running npm start', () => {
  it('is told the GraphiQL URL, a user token and a curl line that notifies that user', async () => {
    const service = await startServiceProcess({});
    await service.waitForStdout('publishNotification');
    const stdout = service.stdout();
    expect(stdout).toContain(`GraphiQL:         ${service.url}`);
    const token = /User 1's token:\s+(\S+)/.exec(stdout)?.[1];
    expect(token).toBeDefined();
    const curl = /^\s+(curl .*\\\n.*)$/m.exec(stdout)?.[1];
    expect(curl).toBeDefined();

    const subscription = connectClient(service.wsUrl, `Bearer ${token}`).subscribe('subscription { notification(userId: "1") { title } }');
    const graphiql = await fetch(service.url, { headers: { accept: 'text/html' } });
    expect(await graphiql.text()).toContain('MechaMap Realtime');
    await waitForLiveSubscriptions(service.origin, 'notification', 1);

    const { stdout: answer } = await run('sh', ['-c', curl!]);
    expect(JSON.parse(answer)).toMatchObject({ data: { publishNotification: { id: expect.any(String) } } });
    expect(await subscription.next()).toEqual({ data: { notification: { title: 'Hello from curl' } } });
  });
});

describe('configuration errors', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT must be an integer from 0 to 65535 (got "eighty")'],
    [{ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL must start with redis:// or rediss://'],
    [{ NODE_ENV: 'production', PUBLISHER_TOKENS: 'a-real-secret' }, 'JWT_SECRET must be set to a real secret when NODE_ENV=production'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'a-real-secret' }, 'PUBLISHER_TOKENS must be set to a real secret when NODE_ENV=production'],
    [{ TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: '/nonexistent/key.pem' }, 'TLS_CERT_FILE names a file that cannot be read'],
  ])('stop the process with one line naming the variable: %j', async (env, expected) => {
    const service = runService(env);
    expect(await service.exited).toBe(1);
    const { stderr, stdout } = service.output();
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining(expected)]);
    expect(stderr).toMatch(/^Invalid configuration: /);
    expect(stdout).toBe('');
  });
});
