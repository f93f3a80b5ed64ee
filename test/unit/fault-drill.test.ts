import { describe, expect, it } from 'vitest';
import { FAULT_DRILL_VARIABLE, faultDrillFromEnv } from '../../local/fault-drill.js';

describe('faultDrillFromEnv', () => {
  it('is off unless LOCAL_FAULT_DRILL is set', () => {
    expect(faultDrillFromEnv({})).toBeUndefined();
    expect(faultDrillFromEnv({ [FAULT_DRILL_VARIABLE]: '' })).toBeUndefined();
  });

  it('fills in what is not set: no fault at all', () => {
    expect(faultDrillFromEnv({ [FAULT_DRILL_VARIABLE]: '{}' })).toEqual({
      providerFailureRate: 0,
      ingestThrottleRate: 0,
      crashesPerChannel: 2,
      fanOutCrashes: 2,
      duplicateDeliveries: false,
      duplicateSchedules: false,
      disorderFeedback: false,
    });
  });

  it('keeps what is set', () => {
    const drill = {
      providerFailureRate: 0.3,
      crashAtCall: 25,
      twilioUrl: 'http://127.0.0.1:4000',
      retryBaseSeconds: 1,
    };

    expect(faultDrillFromEnv({ [FAULT_DRILL_VARIABLE]: JSON.stringify(drill) })).toMatchObject(drill);
  });

  it.each([
    [{ providerFailureRate: 1.5 }, 'providerFailureRate'],
    [{ crashAtCall: 0 }, 'crashAtCall'],
    [{ twilioUrl: 'not a url' }, 'twilioUrl'],
    [{ crashRate: 0.1 }, 'crashRate'],
  ])('refuses %j, naming the field', (drill, field) => {
    expect(() => faultDrillFromEnv({ [FAULT_DRILL_VARIABLE]: JSON.stringify(drill) })).toThrow(field);
  });
});
