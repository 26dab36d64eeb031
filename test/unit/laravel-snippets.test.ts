import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The PHP the README and the migration guide tell MechaMap to write is the PHP the Laravel
 * fixture runs (test/integration/laravel-authorization.test.ts): each snippet below is cut from a
 * fixture file and must appear, to the character, in the documents that show it.
 */
const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'laravel');
const read = (...path: string[]) => readFileSync(join(...path), 'utf8');
const README = read(ROOT, 'README.md');
const GUIDE = read(ROOT, 'docs', 'migrating-from-reverb.md');
const CLIENT_README = read(ROOT, 'clients', 'php', 'README.md');

/** The text of `file` from the line that starts with `from` through the line that starts with `through` (or the end). */
function cut(file: string, from: string, through?: string): string {
  const lines = read(FIXTURE, file).split('\n');
  const start = lines.findIndex((line) => line.trimStart().startsWith(from));
  const end = through === undefined ? lines.length - 1 : lines.findIndex((line, index) => index > start && line.startsWith(through));
  if (start < 0 || end < 0) throw new Error(`${file}: no region from "${from}"`);
  const region = lines.slice(start, end + 1);
  const indent = Math.min(...region.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length));
  return region
    .map((line) => line.slice(indent))
    .join('\n')
    .trimEnd();
}

/** The one line of `file` that starts with `from`, without its indentation. */
function line(file: string, from: string): string {
  const found = read(FIXTURE, file)
    .split('\n')
    .find((candidate) => candidate.trimStart().startsWith(from));
  if (found === undefined) throw new Error(`${file}: no line "${from}"`);
  return found.trim();
}

const indented = (text: string, spaces: number) =>
  text
    .split('\n')
    .map((line) => (line === '' ? line : ' '.repeat(spaces) + line))
    .join('\n');

describe('the PHP of the README and the migration guide is the PHP the Laravel fixture runs', () => {
  it('the token route (README and guide)', () => {
    const route = cut('routes/realtime-token.php', 'use Illuminate\\Http\\Request;');
    expect(README).toContain(route);
    expect(GUIDE).toContain(route);
  });

  it("config/services.php's realtime block (README, guide, clients/php)", () => {
    const services = cut('config/services.php', "'realtime' => [", '    ],');
    for (const document of [README, GUIDE, CLIENT_README]) expect(document).toContain(services);
  });

  it('the realtime guard: the shipped provider runs as it is, and its config/auth.php line', () => {
    const provider = join(FIXTURE, 'app', 'Providers', 'RealtimeAuthServiceProvider.php');
    expect(lstatSync(provider).isSymbolicLink()).toBe(true);
    expect(readlinkSync(provider)).toBe('../../clients/php/examples/RealtimeAuthServiceProvider.php');
    expect(README).toContain(line('config/auth.php', "'realtime' => ['driver' => 'realtime-jwt'"));
  });

  it('Broadcast::routes behind the guard, and routes/channels.php (README)', () => {
    expect(README).toContain(line('app/Providers/BroadcastServiceProvider.php', 'Broadcast::routes('));
    expect(README).toContain(indented(cut('routes/channels.php', "Broadcast::channel('forum.{forumId}'"), 3));
  });

  it("RealtimeChannel with the notification's id, and broadcastConnections() (guide)", () => {
    expect(GUIDE).toContain(cut('app/Notifications/Channels/RealtimeChannel.php', '// app/Notifications/Channels/RealtimeChannel.php'));
    expect(GUIDE).toContain(cut('app/Events/ThreadCreated.php', 'public function broadcastConnections()', '    }'));
  });
});
