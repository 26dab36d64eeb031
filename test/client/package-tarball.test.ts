import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { PUBLISHER_TOKEN, startTestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
/** The peers a frontend brings (and `ws` for Node), taken from this repository's node_modules. */
const PEERS = ['graphql', 'react', 'react-dom', '@types/react', '@types/react-dom', 'vue', '@apollo/client', '@urql/core', 'rxjs', 'ws', 'typescript'];

jest.setTimeout(120_000);

/**
 * The package as a frontend gets it: `npm pack` (which builds it), then `npm install <tarball>`
 * in a scratch project of its own, with the peers beside it.
 */
describe('the npm pack tarball of @mechamap/realtime-client', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'realtime-client-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: join(ROOT, 'packages/client') });
    const tarball = join(scratch, stdout.trim().split('\n').pop()!);
    await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch-frontend', private: true, type: 'module' }));
    await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--legacy-peer-deps', '--ignore-scripts'], { cwd: scratch });
    for (const peer of PEERS) {
      await mkdir(dirname(join(scratch, 'node_modules', peer)), { recursive: true });
      await symlink(join(ROOT, 'node_modules', peer), join(scratch, 'node_modules', peer));
    }
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('holds the built ESM and declarations only', async () => {
    const files = await readdir(join(scratch, 'node_modules/@mechamap/realtime-client/dist'));
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'react.js', 'vue.js', 'apollo.js', 'urql.js', 'sse.js', 'sse.d.ts']));
    expect(await readdir(join(scratch, 'node_modules/@mechamap/realtime-client'))).toEqual(expect.arrayContaining(['dist', 'package.json']));
  });

  it("type-checks the README's snippets in the scratch project, as a bundler resolves it", async () => {
    await cp(join(ROOT, 'examples/readme'), join(scratch, 'src'), { recursive: true });
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'Preserve',
        moduleResolution: 'Bundler',
        jsx: 'react-jsx',
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        lib: ['ES2023', 'DOM'],
        types: [],
      },
      include: ['src'],
    };
    await writeFile(join(scratch, 'tsconfig.json'), JSON.stringify(tsconfig));
    await expect(run(process.execPath, [join(scratch, 'node_modules/typescript/bin/tsc'), '-p', scratch])).resolves.toBeDefined();
  });

  it('runs in Node as ESM: the installed client receives a notification from a live service', async () => {
    const app = await startTestApp();
    const script = `
      import WebSocket from 'ws';
      import { createRealtimeClient, NotificationsDocument } from '@mechamap/realtime-client';
      const client = createRealtimeClient({ url: process.argv[2], getToken: () => process.argv[3], webSocketImpl: WebSocket });
      client.subscribe({ query: NotificationsDocument, variables: { userId: '741' } }, {
        next: ({ data }) => { console.log(data.notification.title); client.dispose(); },
        error: (error) => { console.error(error); process.exit(1); },
        complete: () => {},
      });`;
    await writeFile(join(scratch, 'listen.mjs'), script);
    const live = app.expectSubscriptions('notification');
    const listening = run(process.execPath, [join(scratch, 'listen.mjs'), app.wsUrl, await userToken('741')], { cwd: scratch });
    await live();
    await postGraphQL(app.url, PUBLISH_NOTIFICATION, { input: { userId: '741', type: 'test', title: 'to the installed package' } }, PUBLISHER_TOKEN);
    expect((await listening).stdout.trim()).toBe('to the installed package');
  });
});
