// Schema pieces shared by both resources: API group constants, object metadata, metav1.Condition, label selectors.
import { array, enumOf, integer, map, object, rule, string, type SchemaNode } from './dsl.js';

export const GROUP = 'discovery.beyondtheclouds.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** RFC 1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric (names of sites, namespaces). */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** RFC 1123 subdomain (Secret names). */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A host address: an RFC 1123 subdomain (DNS names and dotted IPv4) or an IPv6 address (hex digits and colons). */
export const SITE_ADDRESS =
  '^([0-9a-fA-F]*:[0-9a-fA-F:.]*|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$';
/** A label value: empty, or up to 63 alphanumerics, '-', '_' and '.', starting and ending alphanumeric. */
export const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

export const siteName = (description: string): SchemaNode =>
  string({ description, minLength: 1, maxLength: 63, pattern: DNS_LABEL });

const stringMap = (description: string): SchemaNode => map(string(), { description });

export const objectMeta = object(
  {
    name: string(),
    namespace: string(),
    labels: stringMap('Labels.'),
    annotations: stringMap('Annotations.'),
    uid: string(),
    generation: integer(),
    resourceVersion: string(),
    creationTimestamp: string(),
    deletionTimestamp: string(),
    finalizers: array(string()),
  },
  { tsName: 'ObjectMeta', opaque: true, description: 'Standard object metadata.' },
);

export const condition = object(
  {
    type: string({ description: 'Condition type, e.g. Ready.', minLength: 1, maxLength: 316 }),
    status: enumOf(['True', 'False', 'Unknown'], { description: 'Status of the condition.' }),
    reason: string({
      description: 'CamelCase reason for the last transition.',
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: string({ description: 'Human-readable details.', maxLength: 32768 }),
    lastTransitionTime: string({ description: 'When the status last changed.', format: 'date-time' }),
    observedGeneration: integer({ description: 'metadata.generation the condition was computed from.', minimum: 0 }),
  },
  {
    tsName: 'Condition',
    required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
    description: 'A metav1.Condition.',
  },
);

export const conditions = array(condition, {
  description: 'kstatus-compatible conditions, keyed by type.',
  listType: 'map',
  listMapKeys: ['type'],
  maxItems: 32,
});

interface RequirementShape {
  operator: string;
  values?: string[];
}

export const labelSelectorRequirement = object(
  {
    key: string({ description: 'Label key.', minLength: 1, maxLength: 317 }),
    operator: enumOf(['In', 'NotIn', 'Exists', 'DoesNotExist'], { description: 'Relation of key to values.' }),
    values: array(string({ maxLength: 63, pattern: LABEL_VALUE }), {
      description: 'Values for In and NotIn; must be empty for Exists and DoesNotExist.',
      maxItems: 64,
    }),
  },
  {
    tsName: 'LabelSelectorRequirement',
    required: ['key', 'operator'],
    rules: [
      rule<RequirementShape>({
        rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
        message: 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist',
        fieldPath: '.values',
        check: (self) =>
          self.operator === 'In' || self.operator === 'NotIn'
            ? self.values !== undefined && self.values.length > 0
            : self.values === undefined || self.values.length === 0,
      }),
    ],
  },
);

export const labelSelector = object(
  {
    matchLabels: map(string({ maxLength: 63, pattern: LABEL_VALUE }), {
      description: 'Labels a selected object must carry.',
      maxProperties: 64,
    }),
    matchExpressions: array(labelSelectorRequirement, { description: 'Set-based requirements.', maxItems: 64 }),
  },
  { tsName: 'LabelSelector', description: 'A metav1.LabelSelector.' },
);
