import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTemplate } from '../../src/cfn/template.js';
import { ENGINE_DEFAULTS } from '../../src/engine/defaults.js';

const ENGINE_TEMPLATE = fileURLToPath(new URL('../../cfn/mailengine.yaml', import.meta.url));

describe('the engine defaults', () => {
  it('are the defaults and limits the engine template declares', async () => {
    const template = await loadTemplate(ENGINE_TEMPLATE);
    const parameters = template.Parameters as Record<string, { Default?: unknown; MaxValue?: unknown }>;
    expect(Number(parameters.SoftBounceThreshold.Default)).toBe(ENGINE_DEFAULTS.softBounceThreshold);
    expect(Number(parameters.DataRetentionDays.Default)).toBe(ENGINE_DEFAULTS.dataRetentionDays);
    expect(Number(parameters.DataRetentionDays.MaxValue)).toBe(ENGINE_DEFAULTS.maxDataRetentionDays);
    expect(Number(parameters.BounceRateWarnThreshold.Default)).toBe(ENGINE_DEFAULTS.bounceRateWarnThreshold);
    expect(Number(parameters.BounceRatePauseThreshold.Default)).toBe(ENGINE_DEFAULTS.bounceRatePauseThreshold);
    expect(Number(parameters.ComplaintRateWarnThreshold.Default)).toBe(ENGINE_DEFAULTS.complaintRateWarnThreshold);
    expect(Number(parameters.ComplaintRatePauseThreshold.Default)).toBe(ENGINE_DEFAULTS.complaintRatePauseThreshold);
  });
});
