// Unit tests of the images' manifest API (what the fleet imports): where the cache is, reading and checking the
// manifest, looking up refs.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  helmImage,
  imageEntry,
  imageManifestPath,
  imageRef,
  imagesCacheDir,
  nodeImages,
  parseImageManifest,
  readImageManifest,
  writeImageManifest,
  type ImageEntry,
} from '../../../hack/images/manifest.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'images-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function entry(name: string, use: 'node' | 'build' = 'node'): ImageEntry {
  const key = `${'0123456789abcdef'.repeat(4)}`;
  return {
    name,
    ref: `localhost/discovery/${name}:1-${key.slice(0, 12)}`,
    archive: `/cache/archives/${name}-1-${key.slice(0, 12)}.tar`,
    key,
    version: '1',
    tag: `1-${key.slice(0, 12)}`,
    use,
    bytes: 1234,
    builtAt: '2026-01-01T00:00:00.000Z',
    buildSeconds: 1.5,
  };
}

describe('imagesCacheDir', () => {
  test('DISCOVERY_IMAGES_CACHE wins, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(imagesCacheDir({ DISCOVERY_IMAGES_CACHE: '/x/y', XDG_CACHE_HOME: '/c', HOME: '/h' })).toBe('/x/y');
    expect(imagesCacheDir({ XDG_CACHE_HOME: '/c', HOME: '/h' })).toBe('/c/discovery-images');
    expect(imagesCacheDir({ HOME: '/h' })).toBe('/h/.cache/discovery-images');
    expect(imageManifestPath({ HOME: '/h' })).toBe('/h/.cache/discovery-images/manifest.json');
  });
});

describe('reading the manifest', () => {
  const file = path.join(dir, 'manifest.json');
  const entries = [entry('debian', 'build'), entry('pause'), entry('coredns')];

  test('round-trips what the builder writes', () => {
    writeImageManifest(entries, file);
    expect(readImageManifest(file)).toEqual(entries);
    expect(readFileSync(file, 'utf8')).toMatch(/\n$/);
  });

  test('helmImage splits a ref into the chart values image.repository and image.tag', () => {
    expect(helmImage('pause', entries)).toEqual({ repository: 'localhost/discovery/pause', tag: entries[1]!.tag });
  });

  test('imageRef, imageEntry and nodeImages look entries up', () => {
    writeImageManifest(entries, file);
    expect(imageRef('pause', readImageManifest(file))).toBe(entries[1]!.ref);
    expect(imageEntry('coredns', entries).archive).toBe(entries[2]!.archive);
    expect(nodeImages(entries).map((e) => e.name)).toEqual(['pause', 'coredns']);
  });

  test('an unknown image names the ones built and how to build it', () => {
    expect(() => imageRef('toolbox', entries)).toThrow(
      "image 'toolbox' is not in the manifest (built: debian, pause, coredns); run `npm run images -- --only toolbox`",
    );
  });

  test('a missing manifest says to run npm run images', () => {
    expect(() => readImageManifest(path.join(dir, 'nope.json'))).toThrow(/run `npm run images` first/);
  });

  test.each([
    ['not JSON', '{', /not JSON/],
    ['not an array', '{"images": []}', /JSON array/],
    ['a missing field', JSON.stringify([{ ...entry('pause'), key: undefined }]), /'key' must be a string/],
    ['a wrong type', JSON.stringify([{ ...entry('pause'), bytes: '12' }]), /'bytes' must be a number/],
    ['a bad use', JSON.stringify([{ ...entry('pause'), use: 'other' }]), /'use' must be node or build/],
    ['a relative archive', JSON.stringify([{ ...entry('pause'), archive: 'a.tar' }]), /absolute path/],
    [
      'a ref not matching name and tag',
      JSON.stringify([{ ...entry('pause'), ref: 'localhost/discovery/x:1' }]),
      /does not end with/,
    ],
    ['a duplicate', JSON.stringify([entry('pause'), entry('pause')]), /listed twice/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseImageManifest(text)).toThrow(message);
  });
});
