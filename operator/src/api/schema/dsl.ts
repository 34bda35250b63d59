// The schema language of the API: small builders producing one tree per resource, from which the generator emits
// the CRD openAPIV3Schema, the TypeScript types, and the ajv JSON Schema (plus the CEL rules' TypeScript twins).

/** Reasons a CEL rule may report; they shape the API server's message ("Required value: …", "Invalid value: …"). */
export type RuleReason = 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden' | 'FieldValueDuplicate';

/**
 * One cross-field rule, defined once: the CEL expression the API server evaluates and the TypeScript predicate the
 * validator runs, with the same message and field path. `check` receives the (defaulted) value of the node carrying
 * the rule, already known to have the node's type, and returns true when the rule holds.
 */
export interface Rule {
  rule: string;
  message: string;
  /** JSONPath-ish path relative to the node, e.g. `.coreSite`; the error is reported there. */
  fieldPath?: string;
  reason?: RuleReason;
  check: (self: never) => boolean;
}

export type SchemaType = 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';

export interface SchemaNode {
  type: SchemaType;
  description?: string;
  // object
  properties?: Record<string, SchemaNode>;
  required?: string[];
  /** A map: every value follows this schema (mutually exclusive with properties). */
  additionalProperties?: SchemaNode;
  maxProperties?: number;
  // array
  items?: SchemaNode;
  minItems?: number;
  maxItems?: number;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  // scalars
  enum?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: 'date-time';
  /** CEL rules (x-kubernetes-validations) and their TypeScript twins. */
  rules?: Rule[];
  // TypeScript emission
  /** Emit this node once as a named export and reference it by name. */
  tsName?: string;
  /** Use this TypeScript type expression verbatim instead of deriving one. */
  tsType?: string;
  /** Properties that are non-optional in TypeScript although the schema defaults them (so users may omit them). */
  tsRequired?: string[];
  // special handling
  /** The CRD declares only `type: object` (e.g. metadata, which the API server validates itself); ajv allows extra fields. */
  opaque?: boolean;
  /** Value constraint checked by the validator only (the API server fixes apiVersion/kind itself). */
  validatorEnum?: string[];
}

type Common = Pick<SchemaNode, 'description' | 'rules' | 'tsName' | 'tsType'>;

export function object(
  properties: Record<string, SchemaNode>,
  opts: Common & Pick<SchemaNode, 'required' | 'default' | 'tsRequired' | 'opaque'> = {},
): SchemaNode {
  return { type: 'object', ...opts, properties };
}

export function map(values: SchemaNode, opts: Common & Pick<SchemaNode, 'maxProperties' | 'default'> = {}): SchemaNode {
  return { type: 'object', ...opts, additionalProperties: values };
}

export function array(
  items: SchemaNode,
  opts: Common & Pick<SchemaNode, 'minItems' | 'maxItems' | 'listType' | 'listMapKeys' | 'default'> = {},
): SchemaNode {
  return { type: 'array', ...opts, items };
}

export function string(
  opts: Common & Pick<SchemaNode, 'minLength' | 'maxLength' | 'pattern' | 'format' | 'default' | 'validatorEnum'> = {},
): SchemaNode {
  return { type: 'string', ...opts };
}

export function enumOf(values: string[], opts: Common & Pick<SchemaNode, 'default'> = {}): SchemaNode {
  return { type: 'string', ...opts, enum: values };
}

export function integer(opts: Common & Pick<SchemaNode, 'minimum' | 'maximum' | 'default'> = {}): SchemaNode {
  return { type: 'integer', ...opts };
}

export function number(opts: Common & Pick<SchemaNode, 'minimum' | 'maximum' | 'default'> = {}): SchemaNode {
  return { type: 'number', ...opts };
}

export function boolean(opts: Common & Pick<SchemaNode, 'default'> = {}): SchemaNode {
  return { type: 'boolean', ...opts };
}

/** Typed helper so each rule's predicate sees the shape of its node. */
export function rule<T>(r: Omit<Rule, 'check'> & { check: (self: T) => boolean }): Rule {
  return r as Rule;
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** Everything the generator needs to know about one custom resource. */
export interface ResourceDefinition {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  scope: 'Namespaced' | 'Cluster';
  printerColumns: PrinterColumn[];
  /** Root schema: apiVersion, kind, metadata, spec, status. */
  schema: SchemaNode;
  /** Further named TypeScript types to export (not referenced by the schema itself). */
  extraTypes?: SchemaNode[];
}
