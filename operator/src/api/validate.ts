// Validators for EdgeSite and DistributedCloud used by the operator and the CLI: ajv (compiled from the schema source)
// for structure, defaults and bounds, plus the TypeScript twins of the CRD's CEL rules and list-type uniqueness.
// Errors mimic the API server's field paths and messages. Never throws, whatever the input.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { toJsonSchema } from './jsonschema.js';
import { distributedCloud, edgeSite, type ResourceDefinition, type SchemaNode } from './schema/index.js';
import type { DistributedCloud, EdgeSite } from './types.js';

export interface FieldError {
  /** API-server style field path, e.g. `spec.rollout.maxParallelUnits` or `spec.siteOverrides[1].site`. */
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

type Plugin = (ajv: Ajv) => Ajv;
const addFormats: Plugin =
  (ajvFormats as unknown as { default: Plugin & { default?: Plugin } }).default.default ??
  (ajvFormats as unknown as { default: Plugin }).default;

const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictTypes: false });
addFormats(ajv);

interface Compiled {
  def: ResourceDefinition;
  validate: ValidateFunction;
}
const compiled = new Map<string, Compiled>();

function compiledFor(def: ResourceDefinition): Compiled {
  let c = compiled.get(def.kind);
  if (c === undefined) {
    c = { def, validate: ajv.compile(toJsonSchema(def.schema)) };
    compiled.set(def.kind, c);
  }
  return c;
}

/** Validates an EdgeSite and returns it with the API server's defaults applied (the input is not modified). */
export function validateEdgeSite(obj: unknown): ValidationResult<EdgeSite> {
  return validateResource<EdgeSite>(edgeSite, obj);
}

/** Validates a DistributedCloud and returns it with the API server's defaults applied (the input is not modified). */
export function validateDistributedCloud(obj: unknown): ValidationResult<DistributedCloud> {
  return validateResource<DistributedCloud>(distributedCloud, obj);
}

/** Validates either resource, chosen by its `kind`. */
export function validateResourceObject(obj: unknown): ValidationResult<EdgeSite | DistributedCloud> {
  const kind = isObject(obj) ? obj.kind : undefined;
  if (kind === 'EdgeSite') return validateEdgeSite(obj);
  if (kind === 'DistributedCloud') return validateDistributedCloud(obj);
  return {
    ok: false,
    errors: [
      { path: 'kind', message: `Unsupported value: ${show(kind)}: supported values: "EdgeSite", "DistributedCloud"` },
    ],
  };
}

export function validateResource<T>(def: ResourceDefinition, obj: unknown): ValidationResult<T> {
  try {
    let value: unknown;
    try {
      value = structuredClone(obj);
    } catch {
      return { ok: false, errors: [{ path: '', message: 'Invalid value: not a JSON document' }] };
    }
    const { validate } = compiledFor(def);
    validate(value);
    const errors = (validate.errors ?? []).map((e) => fromAjvError(def.schema, e));
    walk(def.schema, value, '', errors);
    if (errors.length > 0) return { ok: false, errors: dedupe(errors) };
    return { ok: true, value: value as T };
  } catch (err) {
    // Defensive: a validator must answer, never crash its caller.
    return { ok: false, errors: [{ path: '', message: `Internal error: validator failed: ${String(err)}` }] };
  }
}

// ---- field paths -------------------------------------------------------------------------------------------------

function joinPath(base: string, segment: string): string {
  return base === '' ? segment : `${base}.${segment}`;
}

/** Translates an ajv instancePath (/spec/sites/1) into an API-server path (spec.sites[1]) by walking the schema. */
function fieldPath(root: SchemaNode, instancePath: string): { path: string; node: SchemaNode | undefined } {
  let node: SchemaNode | undefined = root;
  let path = '';
  if (instancePath === '') return { path, node };
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node?.type === 'array') {
      path = `${path}[${seg}]`;
      node = node.items;
    } else {
      path = joinPath(path, seg);
      node = node?.properties?.[seg] ?? node?.additionalProperties;
    }
  }
  return { path, node };
}

// ---- messages (formatted like the API server's) ------------------------------------------------------------------

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return '"array"';
  return `"${typeof v}"`;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function fromAjvError(root: SchemaNode, e: ErrorObject): FieldError {
  const { path } = fieldPath(root, e.instancePath);
  const p = e.params as Record<string, unknown>;
  const data = e.data;
  switch (e.keyword) {
    case 'required':
      return { path: joinPath(path, String(p.missingProperty)), message: 'Required value' };
    case 'additionalProperties': {
      const field = joinPath(path, String(p.additionalProperty));
      return { path: field, message: `unknown field "${field}"` };
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { path, message: `Unsupported value: ${show(data)}: supported values: ${allowed}` };
    }
    case 'type':
      return {
        path,
        message: `Invalid value: "${jsonType(data)}": ${path} in body must be of type ${String(p.type)}: "${jsonType(data)}"`,
      };
    case 'minimum':
      return {
        path,
        message: `Invalid value: ${show(data)}: ${path} in body should be greater than or equal to ${String(p.limit)}`,
      };
    case 'maximum':
      return {
        path,
        message: `Invalid value: ${show(data)}: ${path} in body should be less than or equal to ${String(p.limit)}`,
      };
    case 'pattern':
      return { path, message: `Invalid value: ${show(data)}: ${path} in body should match '${String(p.pattern)}'` };
    case 'minLength':
      return {
        path,
        message: `Invalid value: ${show(data)}: ${path} in body should be at least ${String(p.limit)} chars long`,
      };
    case 'maxLength':
      return { path, message: `Too long: may not be more than ${String(p.limit)} bytes` };
    case 'minItems':
      return {
        path,
        message: `Invalid value: ${Array.isArray(data) ? data.length : 0}: ${path} in body should have at least ${String(p.limit)} items`,
      };
    case 'maxItems':
    case 'maxProperties': {
      const n = Array.isArray(data) ? data.length : isObject(data) ? Object.keys(data).length : 0;
      return { path, message: `Too many: ${n}: must have at most ${String(p.limit)} items` };
    }
    case 'format':
      return {
        path,
        message: `Invalid value: ${show(data)}: ${path} in body must be of type ${String(p.format)}: ${show(data)}`,
      };
    default:
      return { path, message: `Invalid value: ${show(data)}: ${e.message ?? e.keyword}` };
  }
}

// ---- CEL twins and list-type uniqueness --------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(node: SchemaNode, v: unknown): boolean {
  switch (node.type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    default:
      return typeof v === node.type;
  }
}

const own = (o: Record<string, unknown>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Walks value alongside its schema, appending the errors ajv cannot find: CEL rules and list-type uniqueness. */
function walk(node: SchemaNode, value: unknown, path: string, errors: FieldError[]): void {
  if (!hasType(node, value)) return; // ajv already reported the type mismatch
  if (node.type === 'object' && isObject(value)) {
    if (node.properties !== undefined && !node.opaque) {
      for (const [key, child] of Object.entries(node.properties)) {
        if (own(value, key)) walk(child, value[key], joinPath(path, key), errors);
      }
    } else if (node.additionalProperties !== undefined) {
      for (const key of Object.keys(value)) walk(node.additionalProperties, value[key], joinPath(path, key), errors);
    }
  }
  if (node.type === 'array' && Array.isArray(value)) {
    value.forEach((item, i) => walk(node.items!, item, `${path}[${i}]`, errors));
    checkListUniqueness(node, value, path, errors);
  }
  for (const r of node.rules ?? []) {
    let holds: boolean;
    try {
      holds = (r.check as (self: unknown) => boolean)(value);
    } catch {
      holds = true; // the rule's inputs are malformed; ajv reported that already
    }
    if (holds) continue;
    const at = r.fieldPath === undefined ? path : joinPath(path, r.fieldPath.replace(/^\./, ''));
    errors.push({ path: at, message: ruleMessage(r.reason, r.message) });
  }
}

function ruleMessage(reason: string | undefined, message: string): string {
  switch (reason) {
    case 'FieldValueRequired':
      return `Required value: ${message}`;
    case 'FieldValueForbidden':
      return `Forbidden: ${message}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${message}`;
    default:
      return `Invalid value: ${message}`;
  }
}

function checkListUniqueness(node: SchemaNode, list: unknown[], path: string, errors: FieldError[]): void {
  if (node.listType !== 'set' && node.listType !== 'map') return;
  const seen = new Set<string>();
  list.forEach((item, i) => {
    let key: string;
    if (node.listType === 'set') key = JSON.stringify(item);
    else if (isObject(item)) key = JSON.stringify((node.listMapKeys ?? []).map((k) => item[k]));
    else return;
    if (seen.has(key)) {
      const shown =
        node.listType === 'set'
          ? show(item)
          : JSON.stringify(
              Object.fromEntries((node.listMapKeys ?? []).map((k) => [k, (item as Record<string, unknown>)[k]])),
            );
      errors.push({ path: `${path}[${i}]`, message: `Duplicate value: ${shown}` });
    }
    seen.add(key);
  });
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.path}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
