// Loads `-f FILE` inputs (repeatable; multi-document YAML or JSON; `-` = stdin; `kind: List` unwrapped) into
// EdgeSites and DistributedClouds, validated (and defaulted) by the API validators.
import * as yaml from 'js-yaml';
import type { DistributedCloud, EdgeSite } from '../api/types.js';
import { validateResourceObject } from '../api/validate.js';
import { InputError, type CliIO } from './io.js';

export interface LoadedInput {
  sites: EdgeSite[];
  clouds: DistributedCloud[];
  /** Documents of other kinds (e.g. Secrets next to the EdgeSites), skipped. */
  ignored: Array<{ source: string; kind: string }>;
}

export async function loadInputs(files: string[], io: CliIO): Promise<LoadedInput> {
  if (files.length === 0) throw new InputError('no input: pass -f FILE (repeatable; - reads stdin)');
  const out: LoadedInput = { sites: [], clouds: [], ignored: [] };
  const problems: string[] = [];
  for (const file of files) {
    const name = file === '-' ? '<stdin>' : file;
    let text: string;
    try {
      text = file === '-' ? await io.readStdin() : await io.readFile(file);
    } catch (err) {
      throw new InputError(`${name}: cannot read: ${(err as Error).message}`);
    }
    let docs: unknown[];
    try {
      docs = yaml.loadAll(text);
    } catch (err) {
      throw new InputError(`${name}: invalid YAML: ${(err as Error).message}`);
    }
    docs.forEach((doc, i) => {
      for (const obj of unwrapList(doc)) {
        const kind = isObject(obj) && typeof obj.kind === 'string' ? obj.kind : undefined;
        const meta = isObject(obj) && isObject(obj.metadata) ? obj.metadata : {};
        const where = `${name} (document ${i + 1}${typeof meta.name === 'string' ? `, ${kind} ${meta.name}` : ''})`;
        if (kind !== 'EdgeSite' && kind !== 'DistributedCloud') {
          out.ignored.push({ source: where, kind: kind ?? '<no kind>' });
          continue;
        }
        const r = validateResourceObject(obj);
        if (!r.ok) {
          problems.push(`${where}: ${r.errors.map((e) => `${e.path || '<root>'}: ${e.message}`).join('; ')}`);
          continue;
        }
        const value = r.value;
        if (kind === 'EdgeSite') out.sites.push(value as EdgeSite);
        else out.clouds.push(value as DistributedCloud);
      }
    });
  }
  const seen = new Set<string>();
  for (const s of out.sites) {
    const n = s.metadata.name ?? '';
    if (seen.has(n)) problems.push(`EdgeSite ${n} is defined more than once`);
    seen.add(n);
  }
  if (problems.length > 0) throw new InputError(`invalid input: ${problems.join('; ')}`);
  return out;
}

/** Picks the DistributedClouds to work on: the one named `name` ([namespace/]name), else all of them. */
export function selectClouds(clouds: DistributedCloud[], name?: string): DistributedCloud[] {
  if (clouds.length === 0) throw new InputError('no DistributedCloud in the input');
  if (name === undefined) return clouds;
  const [ns, n] = name.includes('/') ? name.split('/', 2) : [undefined, name];
  const found = clouds.filter((c) => c.metadata.name === n && (ns === undefined || c.metadata.namespace === ns));
  if (found.length === 0)
    throw new InputError(
      `no DistributedCloud named ${name} (input has: ${clouds.map((c) => cloudName(c)).join(', ')})`,
    );
  return found;
}

export function cloudName(dc: DistributedCloud): string {
  return dc.metadata.namespace ? `${dc.metadata.namespace}/${dc.metadata.name}` : (dc.metadata.name ?? '');
}

function unwrapList(doc: unknown): unknown[] {
  if (doc === null || doc === undefined) return [];
  if (isObject(doc) && doc.kind === 'List' && Array.isArray(doc.items)) return doc.items;
  return [doc];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
