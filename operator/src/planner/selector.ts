// Kubernetes label-selector semantics (matchLabels + matchExpressions In/NotIn/Exists/DoesNotExist), pure.
import type { LabelSelector } from '../api/types.js';
import { PlanError } from './errors.js';

/** Throws a PlanError when the selector is malformed (unknown operator, values where none are allowed, ...). */
export function validateSelector(selector: LabelSelector, path = 'spec.siteSelector'): void {
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw new PlanError('InvalidSelector', `${at}: operator ${req.operator} needs values`);
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          throw new PlanError('InvalidSelector', `${at}: operator ${req.operator} takes no values`);
        break;
      default:
        throw new PlanError('InvalidSelector', `${at}: unknown operator "${String(req.operator)}"`);
    }
  });
}

/**
 * Whether labels match the selector. As in Kubernetes: an empty selector ({}) matches everything; all matchLabels
 * and all matchExpressions must hold; NotIn and DoesNotExist hold when the key is absent.
 */
export function matchesSelector(labels: Record<string, string> | undefined, selector: LabelSelector): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    const value = l[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
