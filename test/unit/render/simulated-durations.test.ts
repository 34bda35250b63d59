// The kwok delay profile (render/simulated-durations.ts): a DistributedCloud annotated simulated-durations gets the
// unit's expected seconds × factor as kwok's pod-ready delay on its workloads' pod templates and pod-complete delay on
// its Jobs'; without the annotation (or with "0") the rendering is byte-identical to before; a bad value is refused.
import { describe, expect, test } from '@jest/globals';
import { MEASURED } from '../../../operator/src/catalog/index.js';
import type { Unit } from '../../../operator/src/planner/index.js';
import { RenderError, renderPlan, renderUnit, toYaml, type K8sObject } from '../../../operator/src/render/index.js';
import {
  ANNOTATION_SIMULATED_DURATIONS,
  KWOK_POD_COMPLETE_DELAY,
  KWOK_POD_READY_DELAY,
  kwokDelay,
  simulatedDurationsFactor,
} from '../../../operator/src/render/simulated-durations.js';
import { POD_COMPLETE_DELAY_ANNOTATION, POD_READY_DELAY_ANNOTATION } from '../../../hack/fleet/stages.js';
import { contextFor, sampleDc, TOPOLOGIES, type TopologyName } from './fixtures.js';

function annotated(topology: TopologyName, factor: string | undefined) {
  const dc = sampleDc(topology);
  if (factor !== undefined)
    dc.metadata = {
      ...dc.metadata,
      annotations: { ...dc.metadata.annotations, [ANNOTATION_SIMULATED_DURATIONS]: factor },
    };
  return contextFor(dc);
}

type Template = { metadata?: { annotations?: Record<string, string> } };
const templateOf = (o: K8sObject) => (o.spec as { template?: Template } | undefined)?.template;
const delays = (o: K8sObject) => {
  const a = templateOf(o)?.metadata?.annotations ?? {};
  return { ready: a[KWOK_POD_READY_DELAY], complete: a[KWOK_POD_COMPLETE_DELAY] };
};
const ms = (u: Unit, factor: number) => Math.round(u.expectedSeconds * factor * 1000);

describe('simulated durations (kwok delay profile)', () => {
  test('the fleet Stages read the annotations the renderer writes', () => {
    expect(POD_READY_DELAY_ANNOTATION).toBe(KWOK_POD_READY_DELAY);
    expect(POD_COMPLETE_DELAY_ANNOTATION).toBe(KWOK_POD_COMPLETE_DELAY);
  });

  test.each(TOPOLOGIES)('%s: off by default and with "0": byte-identical, no kwok annotation anywhere', (t) => {
    const plain = toYaml(renderPlan(annotated(t, undefined)).flatMap((f) => f.objects));
    expect(plain).not.toContain('stage.kwok.x-k8s.io');
    expect(toYaml(renderPlan(annotated(t, '0')).flatMap((f) => f.objects))).toBe(plain);
  });

  test.each(TOPOLOGIES)(
    '%s at 0.5: every pod template carries its unit’s expected seconds × 0.5, Jobs as completion',
    (t) => {
      const ctx = annotated(t, '0.5');
      const plain = annotated(t, undefined);
      let templates = 0;
      for (const u of ctx.plan.units) {
        const objects = renderUnit(u, ctx);
        const before = renderUnit(u, plain);
        expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
          before.map((o) => `${o.kind}/${o.metadata.name}`),
        );
        const withPods = objects.filter((o) => templateOf(o) !== undefined);
        if (u.kind !== 'config') expect(withPods.length).toBeGreaterThan(0); // every job and workload unit runs pods
        objects.forEach((o, i) => {
          if (templateOf(o) === undefined) {
            expect(o).toEqual(before[i]); // Secrets, ConfigMaps, Services...: untouched
            return;
          }
          templates++;
          const want = kwokDelay(ms(u, 0.5) / 1000);
          expect(delays(o)).toEqual(o.kind === 'Job' ? { complete: want } : { ready: want });
        });
      }
      expect(templates).toBeGreaterThan(ctx.plan.units.length / 2);
    },
  );

  test('the delays are the measured seconds × the factor (centralized at 1 and 0.25)', () => {
    for (const factor of [1, 0.25]) {
      const ctx = annotated('centralized', String(factor));
      const byStep = new Map<string, string>();
      for (const u of ctx.plan.units)
        for (const o of renderUnit(u, ctx)) {
          const d = delays(o);
          if (d.ready ?? d.complete) byStep.set(`${u.component}/${u.step}`, (d.ready ?? d.complete)!);
        }
      for (const m of MEASURED.steps)
        expect([`${m.component}/${m.step}`, byStep.get(`${m.component}/${m.step}`)]).toEqual([
          `${m.component}/${m.step}`,
          `${Math.round(m.seconds * factor * 1000)}ms`,
        ]);
    }
    // a few spelled out: the database StatefulSet's pods, the conductor's, a db-create Job's
    const ctx = annotated('centralized', '0.5');
    const unit = (id: string) => renderUnit(ctx.plan.byId.get(id)!, ctx);
    expect(
      unit('database-server@core')
        .filter((o) => o.kind === 'StatefulSet')
        .map(delays),
    ).toEqual([{ ready: '8350ms' }]);
    expect(
      unit('nova-conductor@core')
        .filter((o) => o.kind === 'Deployment')
        .map(delays),
    ).toEqual([{ ready: '29450ms' }]);
    expect(
      unit('keystone-db-create@core')
        .filter((o) => o.kind === 'Job')
        .map(delays),
    ).toEqual([{ complete: '2750ms' }]);
  });

  test('a factor that is not a number from 0 to 10 is refused with the annotation named', () => {
    for (const bad of ['fast', '-1', '11', '', 'Infinity']) {
      const ctx = annotated('centralized', bad);
      expect(() => renderUnit(ctx.plan.units[0]!, ctx)).toThrow(RenderError);
      expect(() => renderUnit(ctx.plan.units[0]!, ctx)).toThrow(ANNOTATION_SIMULATED_DURATIONS);
    }
    expect(simulatedDurationsFactor({ metadata: { annotations: { [ANNOTATION_SIMULATED_DURATIONS]: ' 0.1 ' } } })).toBe(
      0.1,
    );
    expect(simulatedDurationsFactor({})).toBeUndefined();
    expect(kwokDelay(16.7 * 0.1)).toBe('1670ms');
  });
});
