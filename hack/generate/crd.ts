// Pure: turns a ResourceDefinition into an apiextensions.k8s.io/v1 CustomResourceDefinition object (structural
// openAPIV3Schema with defaults, enums, bounds, required, list types and CEL x-kubernetes-validations).
import { GROUP, VERSION, type ResourceDefinition, type SchemaNode } from '../../operator/src/api/schema/index.js';

type Json = Record<string, unknown>;

export function openApiSchema(node: SchemaNode): Json {
  // The API server validates metadata itself and forbids a schema for it beyond name/generateName.
  if (node.opaque) return { type: 'object' };
  const out: Json = {};
  if (node.description !== undefined) out.description = node.description;
  out.type = node.type;
  if (node.format !== undefined) out.format = node.format;
  if (node.enum !== undefined) out.enum = [...node.enum];
  if (node.default !== undefined) out.default = node.default;
  if (node.minimum !== undefined) out.minimum = node.minimum;
  if (node.maximum !== undefined) out.maximum = node.maximum;
  if (node.minLength !== undefined) out.minLength = node.minLength;
  if (node.maxLength !== undefined) out.maxLength = node.maxLength;
  if (node.pattern !== undefined) out.pattern = node.pattern;
  if (node.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, openApiSchema(v)]));
  }
  if (node.required !== undefined && node.required.length > 0) out.required = [...node.required];
  if (node.additionalProperties !== undefined) out.additionalProperties = openApiSchema(node.additionalProperties);
  if (node.maxProperties !== undefined) out.maxProperties = node.maxProperties;
  if (node.items !== undefined) out.items = openApiSchema(node.items);
  if (node.minItems !== undefined) out.minItems = node.minItems;
  if (node.maxItems !== undefined) out.maxItems = node.maxItems;
  if (node.listType !== undefined) out['x-kubernetes-list-type'] = node.listType;
  if (node.listMapKeys !== undefined) out['x-kubernetes-list-map-keys'] = [...node.listMapKeys];
  if (node.rules !== undefined && node.rules.length > 0) {
    out['x-kubernetes-validations'] = node.rules.map((r) => ({
      rule: r.rule,
      message: r.message,
      ...(r.fieldPath !== undefined ? { fieldPath: r.fieldPath } : {}),
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
    }));
  }
  return out;
}

export function customResourceDefinition(def: ResourceDefinition): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'discovery' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: def.listKind,
        plural: def.plural,
        singular: def.singular,
        shortNames: [...def.shortNames],
        categories: [...def.categories],
      },
      scope: def.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns.map((c) => ({
            name: c.name,
            type: c.type,
            jsonPath: c.jsonPath,
            ...(c.description !== undefined ? { description: c.description } : {}),
            ...(c.priority !== undefined ? { priority: c.priority } : {}),
          })),
          schema: { openAPIV3Schema: openApiSchema(def.schema) },
        },
      ],
    },
  };
}
