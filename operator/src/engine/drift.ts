// Pure comparison of what we apply with what a member cluster holds, read through the object's managedFields so that
// other controllers can coexist with us. Server-side apply records, per field manager, the fields it set (fieldsV1):
// a field someone else changes (kubectl edit, another applier with force) moves to that manager, a field someone
// removes leaves every manager's set, and a field the API server normalised (1000m → 1, an empty string dropped) or
// a mutating webhook rewrote during our own apply stays ours. Hence the rule, for every value the desired object sets:
//   - live holds it (loosely equal)                  → not drift;
//   - we still own that field                        → not drift: it is what the API server made of our apply, and
//                                                      applying again would give the same (no hot loop);
//   - otherwise (changed or removed by someone else) → drift.
// What live holds beyond desired (a sidecar container, an injected env entry, annotations and labels of other
// managers, server defaults) is never drift. Lists are matched the way the API server merges them: associative lists
// by their keys (containers and env by name, ports by containerPort and protocol, …, read from the `k:{…}` entries of
// the managed fields), sets by value, atomic lists as a whole. Without managedFields (objects not applied by us, or
// tests) nothing counts as owned and lists of named items are matched by name.

/** A node of a managedFields fieldsV1 tree: children `f:<field>`, `k:<key json>`, `v:<value json>`, `i:<index>`, `.`. */
export interface FieldsNode {
  [child: string]: FieldsNode;
}

/** One entry of metadata.managedFields. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
}

/** Ownership while walking: a fieldsV1 node, ALL (the whole value is owned: a leaf or an atomic value) or nothing. */
const ALL = Symbol('owned');
type Owned = FieldsNode | typeof ALL | undefined;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function entriesOf(live: unknown): ManagedFieldsEntry[] {
  const list = (live as { metadata?: { managedFields?: unknown } } | undefined)?.metadata?.managedFields;
  return Array.isArray(list) ? (list as ManagedFieldsEntry[]).filter(isObject) : [];
}

function merge(into: FieldsNode, from: unknown): FieldsNode {
  if (!isObject(from)) return into;
  for (const [k, v] of Object.entries(from)) into[k] = merge(into[k] ?? {}, v);
  return into;
}

/**
 * The fields `manager` set by server-side apply on the object itself (its `Apply` entries, status and other
 * subresources excluded), merged; undefined when it has none.
 */
export function appliedFieldsOf(live: unknown, manager: string): FieldsNode | undefined {
  const mine = entriesOf(live).filter(
    (e) => e.manager === manager && e.operation === 'Apply' && !e.subresource && isObject(e.fieldsV1),
  );
  if (mine.length === 0) return undefined;
  return mine.reduce<FieldsNode>((acc, e) => merge(acc, e.fieldsV1), {});
}

/** Every manager's fields merged: how the API server tracks the object's lists (their keys, sets, atomic lists). */
export function fieldsShapeOf(live: unknown): FieldsNode {
  return entriesOf(live).reduce<FieldsNode>((acc, e) => merge(acc, e.fieldsV1), {});
}

function childOwned(own: Owned, key: string): Owned {
  if (own === ALL) return ALL;
  const child = own?.[key];
  if (child === undefined) return undefined;
  return Object.keys(child).length === 0 ? ALL : child;
}

/** Scalars equal, numbers and strings loosely (the API server turns a few intstr values either way). */
function scalarEqual(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  return live !== undefined && live !== null && typeof live !== 'object' && String(desired) === String(live);
}

/**
 * Whether `live` holds every value `desired` sets: objects key by key (extra keys ignored), arrays element by element
 * with the same length (an atomic list), scalars loosely equal.
 */
export function subsetEqual(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => subsetEqual(d, live[i]));
  }
  if (isObject(desired)) {
    if (!isObject(live)) return false;
    return Object.entries(desired).every(([k, v]) => v === undefined || subsetEqual(v, live[k]));
  }
  return scalarEqual(desired, live);
}

type ListShape = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

/** Fields that identify items of the usual Kubernetes lists, for objects without managedFields. */
const FALLBACK_KEYS = ['name', 'containerPort', 'port', 'mountPath', 'devicePath', 'ip'];

function parseChild(name: string): unknown {
  try {
    return JSON.parse(name.slice(2)) as unknown;
  } catch {
    return undefined;
  }
}

/** How a list is merged: from the managed fields (`k:` children → map by those keys, `v:` → set, leaf → atomic). */
function listShape(shape: FieldsNode | undefined, desired: unknown[]): ListShape {
  if (shape !== undefined) {
    const keys = new Set<string>();
    let set = false;
    for (const name of Object.keys(shape)) {
      if (name.startsWith('k:')) {
        const key = parseChild(name);
        if (isObject(key)) for (const k of Object.keys(key)) keys.add(k);
      } else if (name.startsWith('v:')) set = true;
    }
    if (keys.size > 0) return { type: 'map', keys: [...keys] };
    if (set) return { type: 'set' };
    if (Object.keys(shape).length === 0) return { type: 'atomic' }; // a leaf: the list is set as a whole
  }
  for (const key of FALLBACK_KEYS) {
    const values = desired.map((d) => (isObject(d) ? d[key] : undefined));
    if (values.every((v) => typeof v === 'string' || typeof v === 'number') && new Set(values).size === values.length)
      return { type: 'map', keys: [key] };
  }
  return { type: 'atomic' };
}

/** `item` has the key fields `key` sets (key fields `desired` leaves out, e.g. a defaulted protocol, match anything). */
function matchesKey(desired: Json, item: unknown, keys: readonly string[]): boolean {
  if (!isObject(item)) return false;
  return keys.every((k) => desired[k] === undefined || scalarEqual(desired[k], item[k]));
}

function keyChild(node: FieldsNode | undefined, desired: Json, keys: readonly string[]): string | undefined {
  if (node === undefined) return undefined;
  return Object.keys(node).find((name) => {
    if (!name.startsWith('k:')) return false;
    const key = parseChild(name);
    return isObject(key) && matchesKey(desired, key, keys);
  });
}

function describeKey(item: Json, keys: readonly string[]): string {
  return keys
    .filter((k) => item[k] !== undefined)
    .map((k) => `${k}=${String(item[k])}`)
    .join(',');
}

function diffList(
  desired: unknown[],
  live: unknown,
  own: Owned,
  shape: FieldsNode | undefined,
  path: string,
): string | undefined {
  if (desired.length === 0) return undefined;
  const items = Array.isArray(live) ? live : [];
  const kind = listShape(shape, desired);
  if (kind.type === 'atomic') return subsetEqual(desired, live) ? undefined : `${path} changed`;
  const ownNode = own === ALL ? undefined : own;
  if (kind.type === 'set') {
    for (const d of desired) {
      if (items.some((l) => subsetEqual(d, l))) continue;
      if (ownNode?.[`v:${JSON.stringify(d)}`] !== undefined) continue;
      return `${path} lacks ${JSON.stringify(d)}`;
    }
    return undefined;
  }
  const used = new Set<number>();
  for (const d of desired) {
    if (!isObject(d)) return subsetEqual(desired, live) ? undefined : `${path} changed`;
    const index = items.findIndex((l, i) => !used.has(i) && matchesKey(d, l, kind.keys));
    if (index >= 0) used.add(index);
    const ownChild = keyChild(ownNode, d, kind.keys);
    if (index < 0 && ownChild === undefined) return `${path}[${describeKey(d, kind.keys)}] removed`;
    const shapeChild = keyChild(shape, d, kind.keys);
    const reason = diff(
      d,
      index >= 0 ? items[index] : undefined,
      ownChild === undefined ? undefined : childOwned(ownNode, ownChild),
      shapeChild === undefined ? undefined : shape?.[shapeChild],
      `${path}[${describeKey(d, kind.keys)}]`,
    );
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function diff(
  desired: unknown,
  live: unknown,
  own: Owned,
  shape: FieldsNode | undefined,
  path: string,
): string | undefined {
  if (desired === undefined || desired === null) return undefined;
  // a value we set and still own is what the API server made of our apply: applying again changes nothing
  if (own === ALL) return undefined;
  if (Array.isArray(desired)) return diffList(desired, live, own, shape, path);
  if (isObject(desired)) {
    const fields = Object.entries(desired).filter(([, v]) => v !== undefined && v !== null);
    if (fields.length === 0) return isObject(live) || own !== undefined ? undefined : `${path} removed`;
    for (const [k, v] of fields) {
      const reason = diff(
        v,
        isObject(live) ? live[k] : undefined,
        childOwned(own, `f:${k}`),
        shape?.[`f:${k}`],
        `${path}.${k}`,
      );
      if (reason !== undefined) return reason;
    }
    return undefined;
  }
  if (scalarEqual(desired, live)) return undefined;
  return live === undefined || live === null ? `${path} removed` : `${path} changed`;
}

/**
 * The first value `desired` sets at `path` (a top-level field such as `spec`, or `metadata.labels`) that `live` no
 * longer holds and `ours` (our applied fields, see appliedFieldsOf) no longer owns, as "<path> changed|removed";
 * undefined when there is none.
 */
export function managedDrift(
  desired: unknown,
  live: unknown,
  path: readonly string[],
  ours: FieldsNode | undefined,
  shape: FieldsNode | undefined,
): string | undefined {
  let own: Owned = ours;
  let node: FieldsNode | undefined = shape;
  let d = desired;
  let l = live;
  for (const key of path) {
    own = childOwned(own, `f:${key}`);
    node = node?.[`f:${key}`];
    d = isObject(d) ? d[key] : undefined;
    l = isObject(l) ? l[key] : undefined;
  }
  return diff(d, l, own, node, path.join('.'));
}
