import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The PHP that the README, the migration guide and clients/php/README.md tell MechaMap to write is
 * the PHP the Laravel fixture runs: the fixture requires each ```php block straight from the
 * markdown (doc_snippet() in test/fixtures/laravel/bootstrap/doc-snippets.php), and the
 * integration tests (laravel-authorization, laravel-snippets) run it. This checks, without PHP, that no block is
 * left out: every line of every block is taken by a doc_snippet() call, or the block repeats one
 * that is.
 */
const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'laravel');
const read = (...path: string[]) => readFileSync(join(...path), 'utf8');
const DOCUMENTS = ['README.md', 'docs/migrating-from-reverb.md', 'clients/php/README.md'];

interface Block {
  readonly document: string;
  /** The line of the opening fence, for messages. */
  readonly line: number;
  /** Without the fence's indentation, as doc_snippet() takes them. */
  readonly lines: readonly string[];
}

function phpBlocks(document: string): Block[] {
  const text = read(ROOT, document);
  return [...text.matchAll(/^( *)```php\n([\s\S]*?)^ *```$/gm)].map((match) => ({
    document,
    line: text.slice(0, match.index).split('\n').length,
    lines: match[2]!
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => line.slice(match[1]!.length)),
  }));
}

interface SnippetCall {
  readonly file: string;
  readonly document: string;
  readonly from: string;
  readonly until?: string;
}

function phpFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return phpFiles(path);
    return entry.isFile() && entry.name.endsWith('.php') ? [path] : [];
  });
}

/** The doc_snippet() calls of the fixture's PHP (`clients` is a link to the repository's clients/, not followed). */
function snippetCalls(): SnippetCall[] {
  // A PHP string literal, single- or double-quoted (the fixture's have no interpolation).
  const literal = String.raw`('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")`;
  const call = new RegExp(String.raw`doc_snippet\(\s*${literal},\s*${literal}(?:,\s*until:\s*${literal})?`, 'g');
  const value = (php: string) => php.slice(1, -1).replace(php.startsWith("'") ? /\\([\\'])/g : /\\([\\"$])/g, '$1');
  return phpFiles(FIXTURE).flatMap((file) =>
    [...read(file).matchAll(call)].map((match) => ({
      file: relative(FIXTURE, file),
      document: value(match[1]!),
      from: value(match[2]!),
      ...(match[3] === undefined ? {} : { until: value(match[3]) }),
    })),
  );
}

/** The indices of `block`'s lines that `call` takes, as doc_snippet() does; none when it does not start in this block. */
function taken(block: Block, call: SnippetCall): number[] {
  const startsWith = (index: number, prefix: string) => block.lines[index]!.trimStart().startsWith(prefix);
  const start = block.lines.findIndex((_, index) => startsWith(index, call.from));
  if (start < 0) return [];
  const until = call.until;
  const end = until === undefined ? -1 : block.lines.findIndex((_, index) => index > start && startsWith(index, until));
  return block.lines.map((_, index) => index).slice(start, end < 0 ? undefined : end);
}

const blocks = DOCUMENTS.flatMap(phpBlocks);
const calls = snippetCalls();
const text = (block: Block) => block.lines.join('\n');

describe('every PHP snippet of the README, the migration guide and clients/php/README.md runs in the Laravel fixture', () => {
  it('finds the blocks and the calls it checks', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(15);
    expect(calls.length).toBeGreaterThanOrEqual(13);
  });

  it.each(calls.map((call) => [`${call.file}: ${call.document} from "${call.from}"`, call] as const))('%s takes exactly one block', (_, call) => {
    const matching = blocks.filter((block) => block.document === call.document && taken(block, call).length > 0);
    expect(matching.map((block) => `${block.document}:${block.line}`)).toHaveLength(1);
  });

  const run = blocks.filter((block) => {
    const covered = new Set(calls.filter((call) => call.document === block.document).flatMap((call) => taken(block, call)));
    return block.lines.every((line, index) => line.trim() === '' || covered.has(index));
  });

  it.each(blocks.map((block) => [`${block.document}:${block.line}`, block] as const))(
    '%s is run by the fixture, whole, or repeats a block that is',
    (_, block) => {
      const where = run.includes(block) ? block : run.find((other) => text(other) === text(block));
      expect(where && `${where.document}:${where.line}`).toEqual(expect.any(String));
    },
  );

  it("the realtime guard: the shipped provider runs as it is, with the README's config/auth.php and Broadcast::routes() lines", () => {
    const provider = join(FIXTURE, 'app', 'Providers', 'RealtimeAuthServiceProvider.php');
    expect(lstatSync(provider).isSymbolicLink()).toBe(true);
    expect(readlinkSync(provider)).toBe('../../clients/php/examples/RealtimeAuthServiceProvider.php');
    const README = read(ROOT, 'README.md');
    const lineOf = (file: string, start: string) =>
      read(FIXTURE, file)
        .split('\n')
        .map((line) => line.trim())
        .find((line) => line.startsWith(start));
    expect(README).toContain(`\`${lineOf('config/auth.php', "'realtime' => ['driver' => 'realtime-jwt'")}\``);
    expect(README).toContain(`\`${lineOf('app/Providers/BroadcastServiceProvider.php', 'Broadcast::routes(')}\``);
  });
});
