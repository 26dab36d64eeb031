import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SECTION = README.slice(README.indexOf('## Subscribing from a frontend'), README.indexOf('## Who is reading, who is typing'));
const SNIPPETS = join(ROOT, 'examples/readme');

/** The fenced code blocks of the section, with their language. */
const blocks = [...SECTION.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, language, code]) => ({ language: language!, code: code! }));

describe('the README\'s "Subscribing from a frontend"', () => {
  it('shows examples/readme/ as it is (the files the tarball test type-checks), and no TypeScript that is not one of them', () => {
    const files = readdirSync(SNIPPETS).map((name) => readFileSync(join(SNIPPETS, name), 'utf8'));
    const typescript = blocks.filter(({ language }) => language === 'ts' || language === 'tsx').map(({ code }) => code);
    expect(typescript.sort()).toEqual(files.sort());
  });

  it('installs the tarball that npm pack makes of the package', () => {
    const { name, version } = JSON.parse(readFileSync(join(ROOT, 'packages/client/package.json'), 'utf8')) as { name: string; version: string };
    const tarball = `${name.replace('@', '').replace('/', '-')}-${version}.tgz`;
    const install = blocks.find(({ language }) => language === 'sh')!.code;
    expect(install).toContain(`npm pack -w ${name} `);
    expect(install).toContain(`npm install ./${tarball} graphql react `);
  });
});
