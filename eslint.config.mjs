// @ts-check
import js from '@eslint/js';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import prettier from 'eslint-config-prettier';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tseslint from 'typescript-eslint';

/**
 * The layering of src/, highest first (README, "Architecture"): a module may import its own tier,
 * the tiers below it and src/lib, never a tier above. `config` sits with the modules that read it
 * and may import the types of what it configures (laravel's channel map, redis' topology); the
 * tiers below it are handed what they need. Folders named here before they exist (admin, threads,
 * workers, redis) are where this round's branches put them.
 */
const tiers = [
  ['src/main.ts'],
  ['src/app.ts', 'src/workers'],
  ['src/transport', 'src/graphql', 'src/laravel', 'src/auth', 'src/observability', 'src/admin', 'src/config'],
  ['src/presence', 'src/history', 'src/threads'],
  ['src/pubsub'],
  ['src/redis', 'src/events'],
];

const upwardImports = tiers.slice(1).map((tier, index) => ({
  target: tier,
  from: tiers.slice(0, index + 1).flat(),
  message: 'imports flow downwards only (README, "Architecture")',
}));

const boundaries = [
  ...upwardImports,
  {
    target: 'src/transport',
    from: ['src/pubsub', 'src/history'],
    message: 'a transport reaches the bus and the history through src/graphql, never directly',
  },
  {
    target: 'src/lib',
    from: 'src',
    except: ['./lib'],
    message: 'src/lib holds tools with no domain: it imports nothing else of src/',
  },
];

export default tseslint.config(
  {
    ignores: ['dist/', 'packages/client/dist/', 'coverage/', 'node_modules/', 'src/graphql/generated/', 'examples/generated/', 'bench/results/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json', 'examples/web/tsconfig.json'], noWarnOnMultipleProjects: true })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The bugs worth a red build: a promise nobody awaits, a promise where a callback's result is ignored.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      // Passing on a rejection as it came (graphql-ws ends with a CloseEvent) is not making up a non-Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Modules here return objects of closures, not classes: a method taken off its object keeps working, and the rule
      // cannot tell the two apart.
      '@typescript-eslint/unbound-method': 'off',
      // An `async` function without `await` still turns a throw into a rejection, which an interface returning a promise wants.
      '@typescript-eslint/require-await': 'off',
      // ws hands 'message' listeners Buffers (binaryType 'nodebuffer', its default, which nothing here changes), so
      // String(data) of its RawData is the frame's text; an ArrayBuffer never arrives.
      // graphql-js' OperationTypeNode is an enum of the spec's own words; `operation === 'mutation'` is its documented use.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // A timer made after the closures that clear it is read before it is assigned, on purpose.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-base-to-string': ['error', { ignoredTypeNames: ['Error', 'RegExp', 'URL', 'URLSearchParams', 'ArrayBuffer'] }],

      'import-x/no-restricted-paths': ['error', { zones: boundaries }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
    },
  },
  {
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Tests reach into parsed JSON, protocol frames and a browser page's globals on purpose; an `any` there is an
    // assertion's input, not a hole.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { module: 'readonly', require: 'readonly', process: 'readonly' } },
  },
  comments.recommended,
  {
    rules: {
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: [] }],
      '@eslint-community/eslint-comments/disable-enable-pair': ['error', { allowWholeFile: true }],
    },
  },
  prettier,
  {
    // Code on the client package (ESM, DOM, JSX) is type-checked by its own tsconfigs, which the
    // project service does not find from these folders.
    files: ['test/client/**', 'examples/web/**', 'examples/apollo/**', 'examples/urql/**', 'examples/readme/**', 'packages/client/**'],
    languageOptions: {
      parserOptions: { projectService: false, project: ['./tsconfig.client.json', './packages/client/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
  },
);
