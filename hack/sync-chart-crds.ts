// `npm run chart:sync` copies crds/*.yaml into charts/discovery-operator/crds/ (byte for byte, removing stale files);
// `npm run chart:check` (CI) changes nothing and fails, naming each file, when the chart's CRDs drift from crds/.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE_DIR = join(repoRoot, 'crds');
export const CHART_CRDS_DIR = join(repoRoot, 'charts/discovery-operator/crds');

const yamlFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
        .map((e) => e.name)
        .sort()
    : [];

/** Differences between crds/ and the chart's crds/, as human-readable lines (empty when in sync). */
export function chartCrdDrift(sourceDir = SOURCE_DIR, chartDir = CHART_CRDS_DIR): string[] {
  const source = yamlFiles(sourceDir);
  const chart = new Set(yamlFiles(chartDir));
  const drift: string[] = [];
  for (const name of source) {
    if (!chart.has(name)) drift.push(`${name}: missing from the chart`);
    else if (!readFileSync(join(sourceDir, name)).equals(readFileSync(join(chartDir, name))))
      drift.push(`${name}: differs`);
    chart.delete(name);
  }
  for (const name of chart) drift.push(`${name}: in the chart but not in crds/`);
  return drift;
}

function main(): number {
  const check = process.argv.includes('--check');
  const source = yamlFiles(SOURCE_DIR);
  if (source.length === 0) {
    console.error(`no CRD files in ${SOURCE_DIR}`);
    return 1;
  }
  const drift = chartCrdDrift();
  if (check) {
    if (drift.length > 0) {
      console.error(
        `charts/discovery-operator/crds/ is out of sync with crds/:\n  ${drift.join('\n  ')}\nRun \`npm run chart:sync\` and commit the result.`,
      );
      return 1;
    }
    console.log(`chart CRDs are in sync with crds/ (${source.length} files)`);
    return 0;
  }
  mkdirSync(CHART_CRDS_DIR, { recursive: true });
  for (const name of yamlFiles(CHART_CRDS_DIR)) if (!source.includes(name)) rmSync(join(CHART_CRDS_DIR, name));
  for (const name of source) copyFileSync(join(SOURCE_DIR, name), join(CHART_CRDS_DIR, name));
  console.log(drift.length > 0 ? `synced chart CRDs:\n  ${drift.join('\n  ')}` : 'chart CRDs already in sync');
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
