// Pure: converts a schema-source node into the JSON Schema (draft-07) that ajv compiles. Unlike the CRD, objects
// reject undeclared fields (kubectl's default strict field validation rejects them too) and apiVersion/kind are pinned.
import type { SchemaNode } from './schema/dsl.js';

export type JsonSchema = Record<string, unknown>;

export function toJsonSchema(node: SchemaNode): JsonSchema {
  const out: JsonSchema = { type: node.type };
  if (node.validatorEnum !== undefined) out.enum = [...node.validatorEnum];
  if (node.enum !== undefined) out.enum = [...node.enum];
  if (node.default !== undefined) out.default = node.default;
  if (node.minimum !== undefined) out.minimum = node.minimum;
  if (node.maximum !== undefined) out.maximum = node.maximum;
  if (node.minLength !== undefined) out.minLength = node.minLength;
  if (node.maxLength !== undefined) out.maxLength = node.maxLength;
  if (node.pattern !== undefined) out.pattern = node.pattern;
  if (node.format !== undefined) out.format = node.format;
  if (node.minItems !== undefined) out.minItems = node.minItems;
  if (node.maxItems !== undefined) out.maxItems = node.maxItems;
  if (node.maxProperties !== undefined) out.maxProperties = node.maxProperties;
  if (node.items !== undefined) out.items = toJsonSchema(node.items);
  if (node.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, toJsonSchema(v)]));
    if (node.required !== undefined && node.required.length > 0) out.required = [...node.required];
    if (!node.opaque && node.additionalProperties === undefined) out.additionalProperties = false;
  }
  if (node.additionalProperties !== undefined) out.additionalProperties = toJsonSchema(node.additionalProperties);
  return out;
}
