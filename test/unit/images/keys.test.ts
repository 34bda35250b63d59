// Unit tests of the image builder's pure parts: cache keys change exactly when an input changes, tags and refs
// derive from them, and .dockerignore matching follows Docker's rules.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  canPruneDir,
  copySources,
  fileDigest,
  imageKey,
  imageRefFor,
  imageTag,
  isCopied,
  isIgnored,
  mayHoldCopied,
  parseDockerignore,
  type KeyInputs,
} from '../../../hack/images/keys.js';

const base: KeyInputs = {
  name: 'toolbox',
  version: 'trixie',
  files: { Dockerfile: fileDigest('FROM x\n', false), 'bin/tool': fileDigest('binary', true) },
  params: { go: 'go1.26.8', suite: 'trixie' },
  bases: { BASE_IMAGE: 'a'.repeat(64) },
};

const record = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 });
const inputs = fc.record({
  name: fc.string({ minLength: 1, maxLength: 10 }),
  version: fc.string({ maxLength: 10 }),
  files: record,
  params: record,
  bases: record,
});

describe('imageKey', () => {
  test('is a stable SHA-256 of the inputs', () => {
    expect(imageKey(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(imageKey(base)).toBe(imageKey(structuredClone(base)));
  });

  test('does not depend on the order inputs were collected in', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const reversed = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).reverse());
        expect(imageKey({ ...i, files: reversed(i.files), params: reversed(i.params), bases: reversed(i.bases) })).toBe(
          imageKey(i),
        );
      }),
    );
  });

  test.each([
    ['a file content', { files: { ...base.files, Dockerfile: fileDigest('FROM y\n', false) } }],
    ['a file mode', { files: { ...base.files, 'bin/tool': fileDigest('binary', false) } }],
    ['a file name', { files: { Dockerfile: base.files.Dockerfile!, 'bin/tool2': base.files['bin/tool']! } }],
    ['an added file', { files: { ...base.files, extra: fileDigest('', false) } }],
    ['a removed file', { files: { Dockerfile: base.files.Dockerfile! } }],
    ['a tool version', { params: { ...base.params, go: 'go1.26.9' } }],
    ['an added parameter', { params: { ...base.params, mirror: 'http://m' } }],
    ["a base image's key", { bases: { BASE_IMAGE: 'b'.repeat(64) } }],
    ['the build-arg a base is passed as', { bases: { OTHER_IMAGE: 'a'.repeat(64) } }],
    ['the version', { version: 'bookworm' }],
    ['the name', { name: 'toolbox2' }],
  ])('changes with %s', (_what, change) => {
    expect(imageKey({ ...base, ...change })).not.toBe(imageKey(base));
  });

  test('changes whenever any single input changes (property)', () => {
    fc.assert(
      fc.property(
        inputs,
        fc.constantFrom('files', 'params', 'bases'),
        fc.string({ minLength: 1, maxLength: 8 }),
        (i, field, k) => {
          const changed = { ...i, [field]: { ...i[field], [k]: `${i[field][k] ?? ''}!` } };
          expect(imageKey(changed)).not.toBe(imageKey(i));
        },
      ),
    );
  });

  test('keeps sections apart: the same pair as a file or as a parameter gives different keys', () => {
    const pair = { x: 'y' };
    expect(imageKey({ ...base, files: pair, params: {} })).not.toBe(imageKey({ ...base, files: {}, params: pair }));
  });
});

describe('imageTag and imageRefFor', () => {
  const key = '0123456789abcdef'.repeat(4);

  test('the tag is <version>-<first 12 hex digits of the key>', () => {
    expect(imageTag('24.21.0', key)).toBe('24.21.0-0123456789ab');
    expect(imageTag('trixie', key)).toBe('trixie-0123456789ab');
  });

  test('the ref lives under localhost/discovery', () => {
    expect(imageRefFor('pause', imageTag('1', key))).toBe('localhost/discovery/pause:1-0123456789ab');
  });

  test('different keys give different tags', () => {
    expect(imageTag('1', key)).not.toBe(imageTag('1', `f${key.slice(1)}`));
  });

  test('rejects what is not a valid tag or name', () => {
    expect(() => imageTag('1', 'not-a-key')).toThrow(/hex key/);
    expect(() => imageTag('bad version', key)).toThrow(/valid image tag/);
    expect(() => imageRefFor('Upper', '1')).toThrow(/valid image name/);
    expect(() => imageRefFor('pause', 'a:b')).toThrow(/valid image tag/);
  });
});

describe('.dockerignore', () => {
  const patterns = parseDockerignore(
    [
      '# comment',
      '',
      '.git',
      'node_modules',
      '/dist',
      './coverage',
      '*.log',
      '.env*',
      'hack/images',
      'docs/**/*.png',
      '!docs/keep.png',
    ].join('\n'),
  );

  test.each([
    ['.git', true],
    ['.git/HEAD', true],
    ['node_modules/x/index.js', true],
    ['dist/main.js', true],
    ['coverage/lcov.info', true],
    ['build.log', true],
    ['sub/build.log', false], // `*` does not cross directories
    ['.env.local', true],
    ['hack/images/cli.ts', true],
    ['hack/fleet/cli.ts', false],
    ['docs/a/b/c.png', true],
    ['docs/c.png', true], // `**/` also matches no directory
    ['docs/keep.png', false], // re-included by the exception
    ['operator/src/main.ts', false],
    ['package.json', false],
  ])('%s ignored: %s', (p, ignored) => {
    expect(isIgnored(patterns, p)).toBe(ignored);
  });

  test('directories are pruned only when no exception could re-include something below them', () => {
    expect(canPruneDir(parseDockerignore('node_modules'), 'node_modules')).toBe(true);
    expect(canPruneDir(patterns, 'node_modules')).toBe(false);
    expect(canPruneDir(parseDockerignore('node_modules'), 'operator')).toBe(false);
  });

  test('character classes, ? and escapes', () => {
    const p = parseDockerignore('file[0-9].txt\na?c\nliteral\\*star');
    expect(isIgnored(p, 'file7.txt')).toBe(true);
    expect(isIgnored(p, 'filex.txt')).toBe(false);
    expect(isIgnored(p, 'abc')).toBe(true);
    expect(isIgnored(p, 'a/c')).toBe(false);
    expect(isIgnored(p, 'literal*star')).toBe(true);
    expect(isIgnored(p, 'literalXstar')).toBe(false);
  });
});

describe('copySources (what COPY/ADD read from the context)', () => {
  test("the repository's Dockerfile style: flags, several sources, stage copies left out", () => {
    const df = [
      'FROM x AS build',
      'COPY package.json package-lock.json ./',
      'COPY --chown=1:1 operator/ operator/',
      'COPY ./hack/ \\',
      '     hack/',
      'COPY --from=build --chown=1:1 /src/dist ./dist',
      'ADD ["with space/a.txt", "b/"]',
      'ADD https://example.org/x.tgz /x.tgz',
      'RUN echo COPY not/this here',
    ].join('\n');
    expect(copySources(df)).toEqual(['package.json', 'package-lock.json', 'operator', 'hack', 'with space/a.txt']);
  });

  test.each([
    ['the whole context', 'COPY . /app'],
    ['a variable', 'COPY ${SRC} /app'],
    ['a heredoc', 'COPY <<EOF /x\nhi\nEOF'],
  ])('cannot tell with %s: everything counts', (_what, df) => {
    expect(copySources(`FROM x\n${df}`)).toBeUndefined();
    expect(isCopied(copySources(`FROM x\n${df}`), 'anything/at/all')).toBe(true);
  });

  test('files under a copied directory, exact files and wildcards count; others do not', () => {
    const sources = ['operator', 'package*.json'];
    expect(isCopied(sources, 'operator/src/main.ts')).toBe(true);
    expect(isCopied(sources, 'package.json')).toBe(true);
    expect(isCopied(sources, 'package-lock.json')).toBe(true);
    expect(isCopied(sources, 'README.md')).toBe(false);
    expect(isCopied(sources, 'operatorx/a.ts')).toBe(false);
    expect(mayHoldCopied(['hack/tools/x'], 'hack')).toBe(true);
    expect(mayHoldCopied(['hack/tools/x'], 'docs')).toBe(false);
    expect(mayHoldCopied(['*/x'], 'docs')).toBe(true);
  });
});
