// The unit ledger: every unit's phase, inputHash, start and Ready times, kept out of the DistributedCloud's status
// (which stays bounded, status.ts) in one ConfigMap per site, `<dc>-units-<site>` in the DC's namespace, holding a
// tab-separated table (`units.tsv`). It is the controller's memory across reconciles, restarts and leader changes
// (the unit timeout counts from startedAt; a unit seen Ready once never times out; the sites we may hold objects on
// are the ledger's), and where a Gantt chart of a live DC reads its unit times. Labelled `unit-ledger=<dc>` (not the
// member-object `dc` label: writing the ledger must not requeue the DC), owned by the DC (garbage-collected with it).
//
// In memory, the controller keeps each DC's ledger (loaded with one LIST when it has none: after a start or on
// becoming leader) and writes back only the sites whose rows changed; messages are not kept (they change often).
import type { CoreV1Api, V1ConfigMap, V1OwnerReference } from '@kubernetes/client-node';
import { GROUP } from '../api/types.js';
import type { DistributedCloud, UnitPhase, UnitStatus } from '../api/types.js';
import { isNotFound } from '../engine/apply.js';
import { labelValue } from '../render/labels.js';
import type { TimeSlicer } from '../runtime/slicer.js';
import { mergePatch } from './context.js';
import { generatedSecretsOwnerReference } from './generated-secrets.js';

export const LABEL_UNIT_LEDGER = `${GROUP}/unit-ledger`;
export const LABEL_LEDGER_SITE = `${GROUP}/ledger-site`;
export const LEDGER_KEY = 'units.tsv';
const COLUMNS = ['unit', 'component', 'step', 'phase', 'inputHash', 'startedAt', 'readyAt', 'lastTransitionTime'];
const HEADER = `# ${COLUMNS.join('\t')}`;
const EMPTY = `${HEADER}\n`;
const PHASES = new Set<string>(['Pending', 'Applying', 'Ready', 'Failed', 'Deleting']);

type Owner = Pick<DistributedCloud, 'metadata'>;
export type LedgerApi = Pick<
  CoreV1Api,
  'listNamespacedConfigMap' | 'createNamespacedConfigMap' | 'patchNamespacedConfigMap'
>;

/** Name of the ledger ConfigMap of `site` (`global` for global units). */
export function ledgerName(dc: Owner, site: string): string {
  return `${dc.metadata.name ?? 'discovery'}-units-${site}`;
}

/** One site's rows as the ConfigMap holds them (sorted by unit id; no message). */
export function encodeLedger(units: readonly UnitStatus[]): string {
  const rows = [...units]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((u) =>
      [
        u.name,
        u.component,
        u.step,
        u.phase,
        u.inputHash ?? '',
        u.startedAt ?? '',
        u.readyAt ?? '',
        u.lastTransitionTime ?? '',
      ].join('\t'),
    );
  return `${[HEADER, ...rows].join('\n')}\n`;
}

/** Rows of one site's table (malformed lines are skipped). */
export function decodeLedger(site: string, text: string): UnitStatus[] {
  const out: UnitStatus[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [name, component, step, phase, inputHash, startedAt, readyAt, lastTransitionTime] = line.split('\t');
    if (!name || !component || !step || !phase || !PHASES.has(phase)) continue;
    const u: UnitStatus = { name, site, component, step, phase: phase as UnitPhase };
    if (inputHash) u.inputHash = inputHash;
    if (startedAt) u.startedAt = startedAt;
    if (readyAt) u.readyAt = readyAt;
    if (lastTransitionTime) u.lastTransitionTime = lastTransitionTime;
    out.push(u);
  }
  return out;
}

/** The ledger ConfigMap of one site. */
export function ledgerObject(dc: Owner, site: string, units: readonly UnitStatus[]): V1ConfigMap {
  const ownerRef = generatedSecretsOwnerReference(dc);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: ledgerName(dc, site),
      namespace: dc.metadata.namespace ?? 'default',
      labels: {
        'app.kubernetes.io/part-of': 'discovery',
        'app.kubernetes.io/managed-by': 'discovery-operator',
        'app.kubernetes.io/name': 'unit-ledger',
        [LABEL_UNIT_LEDGER]: labelValue(dc.metadata.name ?? 'discovery'),
        [LABEL_LEDGER_SITE]: labelValue(site),
      },
      annotations: { [`${GROUP}/site`]: site },
      ...(ownerRef ? { ownerReferences: [ownerRef as V1OwnerReference] } : {}),
    },
    data: { [LEDGER_KEY]: encodeLedger(units) },
  };
}

/** Every unit entry of a DC's ledger ConfigMaps (read once: e.g. the test harness, a Gantt chart of a live DC). */
export async function readUnitLedger(
  api: Pick<LedgerApi, 'listNamespacedConfigMap'>,
  dc: Owner,
): Promise<UnitStatus[]> {
  const { units } = await listLedger(api, dc);
  return [...units.values()];
}

async function listLedger(
  api: Pick<LedgerApi, 'listNamespacedConfigMap'>,
  dc: Owner,
): Promise<{ units: Map<string, UnitStatus>; written: Map<string, string> }> {
  const list = await api.listNamespacedConfigMap({
    namespace: dc.metadata.namespace ?? 'default',
    labelSelector: `${LABEL_UNIT_LEDGER}=${labelValue(dc.metadata.name ?? 'discovery')}`,
  });
  const units = new Map<string, UnitStatus>();
  const written = new Map<string, string>();
  const uid = dc.metadata.uid;
  for (const cm of list.items) {
    // a ConfigMap left by a deleted DistributedCloud of the same name (not garbage-collected yet) is not ours
    const refs = cm.metadata?.ownerReferences ?? [];
    if (uid && refs.length > 0 && !refs.some((r) => r.uid === uid)) continue;
    const site = cm.metadata?.annotations?.[`${GROUP}/site`] ?? cm.metadata?.labels?.[LABEL_LEDGER_SITE] ?? '';
    const text = cm.data?.[LEDGER_KEY] ?? '';
    written.set(site, text);
    for (const u of decodeLedger(site, text)) units.set(u.name, u);
  }
  return { units, written };
}

interface DcLedger {
  uid: string;
  /** Every unit's last entry, by unit id. */
  units: Map<string, UnitStatus>;
  /** Site → the table last written (or read) for it. */
  written: Map<string, string>;
}

/** The ledgers of the DistributedClouds this controller reconciles, in memory, written back on change. */
export class UnitLedgers {
  private readonly ledgers = new Map<string, DcLedger>();

  constructor(private readonly api: () => LedgerApi) {}

  /**
   * The DC's unit entries by id, loaded with one LIST when not in memory. A DC without a ledger yet but with unit
   * entries in its status (written before the ledger existed) starts from those.
   */
  async load(key: string, dc: Owner & Pick<DistributedCloud, 'status'>): Promise<ReadonlyMap<string, UnitStatus>> {
    const uid = dc.metadata.uid ?? '';
    const known = this.ledgers.get(key);
    if (known && known.uid === uid) return known.units;
    const { units, written } = await listLedger(this.api(), dc);
    if (units.size === 0) for (const u of dc.status?.units ?? []) if (u.startedAt) units.set(u.name, { ...u });
    this.ledgers.set(key, { uid, units, written });
    return units;
  }

  /** Sites with entries in the DC's ledger (in memory; empty when not loaded). */
  sitesOf(key: string): string[] {
    return [...(this.ledgers.get(key)?.written ?? [])].filter(([, text]) => text !== EMPTY).map(([site]) => site);
  }

  /**
   * Records every unit's entry (the message dropped) and writes the sites whose table changed; a site left without
   * units gets an empty table. Memory is updated first: a failed write is retried by the next save.
   */
  async save(key: string, dc: Owner, units: readonly UnitStatus[], slicer?: TimeSlicer): Promise<number> {
    const ledger = this.ledgers.get(key);
    if (!ledger) throw new Error(`unit ledger of ${key} not loaded`);
    const bySite = new Map<string, UnitStatus[]>();
    const next = new Map<string, UnitStatus>();
    for (const u of units) {
      const { message: _message, ...entry } = u;
      next.set(u.name, entry);
      let list = bySite.get(u.site);
      if (!list) bySite.set(u.site, (list = []));
      list.push(entry);
    }
    ledger.units = next;
    const api = this.api();
    const namespace = dc.metadata.namespace ?? 'default';
    let writes = 0;
    for (const [site, rows] of bySite) {
      const text = encodeLedger(rows);
      await slicer?.tick();
      if (ledger.written.get(site) === text) continue;
      const body = ledgerObject(dc, site, rows);
      const name = body.metadata!.name!;
      if (ledger.written.has(site)) {
        try {
          await api.patchNamespacedConfigMap({ name, namespace, body }, mergePatch);
        } catch (error) {
          if (!isNotFound(error)) throw error;
          await api.createNamespacedConfigMap({ namespace, body });
        }
      } else {
        try {
          await api.createNamespacedConfigMap({ namespace, body });
        } catch (error) {
          if ((error as { code?: number }).code !== 409) throw error;
          await api.patchNamespacedConfigMap({ name, namespace, body }, mergePatch);
        }
      }
      ledger.written.set(site, text);
      writes++;
      slicer?.restart();
    }
    // a site left without units keeps an empty table (the operator deletes nothing in the management cluster; the
    // ConfigMaps go with the DistributedCloud)
    for (const [site, text] of ledger.written) {
      if (bySite.has(site) || text === EMPTY) continue;
      const body = ledgerObject(dc, site, []);
      try {
        await api.patchNamespacedConfigMap({ name: body.metadata!.name!, namespace, body }, mergePatch);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      ledger.written.set(site, EMPTY);
      writes++;
    }
    return writes;
  }

  /** The DC is gone: drop its ledger from memory (its ConfigMaps go with it, by ownerReference). */
  forget(key: string): void {
    this.ledgers.delete(key);
  }

  /** Forget every ledger (leadership (re)gained: another replica may have written since). */
  reset(): void {
    this.ledgers.clear();
  }
}
