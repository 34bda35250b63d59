// Generation from the schema source: deterministic, in sync with the committed files, and shaped like a valid
// structural CRD (every node typed, CEL rules carried over, printer columns and names as documented).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { load } from 'js-yaml';
import { generatedFiles, TYPES_PATH } from '../../../hack/generate/outputs.js';
import { resources, type SchemaNode } from '../../../operator/src/api/schema/index.js';
import { REPO_ROOT, type Obj } from './corpus.js';

describe('generate', () => {
  test('is deterministic', async () => {
    const a = await generatedFiles(REPO_ROOT);
    const b = await generatedFiles(REPO_ROOT);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [path, content] of a) expect(b.get(path)).toBe(content);
  });

  test('committed output matches the schema source (run `npm run generate` if this fails)', async () => {
    const files = await generatedFiles(REPO_ROOT);
    expect([...files.keys()].sort()).toEqual([
      'crds/discovery.beyondtheclouds.io_distributedclouds.yaml',
      'crds/discovery.beyondtheclouds.io_edgesites.yaml',
      TYPES_PATH,
    ]);
    for (const [path, content] of files) expect(readFileSync(resolve(REPO_ROOT, path), 'utf8')).toBe(content);
  });

  test('types keep the contract export names', () => {
    const types = readFileSync(resolve(REPO_ROOT, TYPES_PATH), 'utf8');
    for (const name of [
      'ObjectMeta',
      'Condition',
      'LabelSelectorRequirement',
      'LabelSelector',
      'SiteRole',
      'EdgeSiteSpec',
      'EdgeSiteStatus',
      'EdgeSite',
      'ConfigOverrides',
      'ServiceSpec',
      'ServiceName',
      'Topology',
      'SiteOverride',
      'DistributedCloudSpec',
      'UnitPhase',
      'UnitStatus',
      'SiteSummary',
      'DistributedCloudStatus',
      'DistributedCloud',
    ]) {
      expect(types).toMatch(new RegExp(`export (interface|type) ${name}\\b`));
    }
    expect(types).toContain("export { API_VERSION, GROUP, VERSION } from './schema/common.js';");
  });
});

function crd(plural: string): Obj {
  const text = readFileSync(resolve(REPO_ROOT, `crds/discovery.beyondtheclouds.io_${plural}.yaml`), 'utf8');
  return load(text) as Obj;
}

/** Every node of a structural schema has a type; properties and additionalProperties never mix. */
function untypedNodes(node: Obj, path: string): string[] {
  const bad: string[] = typeof node.type === 'string' ? [] : [path];
  if (node.properties !== undefined && node.additionalProperties !== undefined) bad.push(`${path} (mixed)`);
  for (const [k, v] of Object.entries((node.properties as Record<string, Obj>) ?? {}))
    bad.push(...untypedNodes(v, `${path}.${k}`));
  if (node.additionalProperties) bad.push(...untypedNodes(node.additionalProperties as Obj, `${path}[*]`));
  if (node.items) bad.push(...untypedNodes(node.items as Obj, `${path}[]`));
  return bad;
}

function celRules(node: Obj): string[] {
  const own = ((node['x-kubernetes-validations'] as Obj[]) ?? []).map((v) => String(v.rule));
  const kids = [
    ...Object.values((node.properties as Record<string, Obj>) ?? {}),
    ...(node.additionalProperties ? [node.additionalProperties as Obj] : []),
    ...(node.items ? [node.items as Obj] : []),
  ];
  return [...own, ...kids.flatMap(celRules)];
}

describe('CRDs', () => {
  test.each([
    ['edgesites', 'EdgeSite', 'Cluster', 'es', ['Region', 'Role', 'RTT', 'Ready', 'K8s Version', 'Age']],
    ['distributedclouds', 'DistributedCloud', 'Namespaced', 'dc', ['Topology', 'Sites', 'Ready', 'Progress', 'Age']],
  ])('%s: names, scope, status subresource, printer columns, structural schema', (plural, kind, scope, short, cols) => {
    const spec = crd(plural).spec as Obj;
    expect(spec.scope).toBe(scope);
    expect(spec.names).toMatchObject({ kind, plural, shortNames: [short], categories: ['discovery'] });
    const [version] = spec.versions as Obj[];
    expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
    const columns = (version!.additionalPrinterColumns as Obj[])
      .filter((c) => c.priority === undefined)
      .map((c) => c.name);
    expect(columns).toEqual(cols);
    const schema = (version!.schema as Obj).openAPIV3Schema as Obj;
    expect(untypedNodes(schema, '')).toEqual([]);
  });

  test('every CEL rule of the schema source reaches the CRD', () => {
    const sourceRules = (node: SchemaNode): string[] => [
      ...(node.rules ?? []).map((r) => r.rule),
      ...Object.values(node.properties ?? {}).flatMap(sourceRules),
      ...(node.additionalProperties ? sourceRules(node.additionalProperties) : []),
      ...(node.items ? sourceRules(node.items) : []),
    ];
    for (const def of resources) {
      const spec = crd(def.plural).spec as Obj;
      const schema = ((spec.versions as Obj[])[0]!.schema as Obj).openAPIV3Schema as Obj;
      expect(celRules(schema)).toEqual(sourceRules(def.schema));
    }
    const dc = ((crd('distributedclouds').spec as Obj).versions as Obj[])[0]!.schema as Obj;
    expect(celRules(dc.openAPIV3Schema as Obj)).toContain("self.topology == 'distributed' || has(self.coreSite)");
  });
});
