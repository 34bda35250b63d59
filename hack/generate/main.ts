// `npm run generate` writes the CRDs and TypeScript types from the schema source; `npm run generate:check` (CI)
// regenerates in memory and fails, naming each file and its first differing lines, when the committed output drifts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './outputs.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function firstDifference(expected: string, actual: string): string {
  const e = expected.split('\n');
  const a = actual.split('\n');
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if (e[i] !== a[i]) {
      return `  line ${i + 1}:\n    committed: ${JSON.stringify(a[i] ?? '<end of file>')}\n    generated: ${JSON.stringify(e[i] ?? '<end of file>')}`;
    }
  }
  return '';
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const files = await generatedFiles(repoRoot);
  const drifted: string[] = [];
  for (const [path, content] of files) {
    const abs = resolve(repoRoot, path);
    const current = existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
    if (current === content) continue;
    if (check) {
      drifted.push(
        current === undefined ? `${path}: missing` : `${path}: differs\n${firstDifference(content, current)}`,
      );
    } else {
      writeFileSync(abs, content);
      console.log(`wrote ${path}`);
    }
  }
  if (check && drifted.length > 0) {
    console.error(
      `Generated files are out of date with operator/src/api/schema/:\n${drifted.join('\n')}\nRun \`npm run generate\` and commit the result.`,
    );
    return 1;
  }
  if (check) console.log(`generated files are up to date (${files.size} files)`);
  return 0;
}

process.exitCode = await main();
