import { describe, expect, it } from 'vitest';
import { uploadPlan } from '../../../../../main/adapters/agent-client/agent-client';

const LINE_115200 = 11_520;

describe('upload plan', () => {
  it('sends 8 chunks of 256 KiB on a fast stream', () => {
    expect(uploadPlan(null)).toEqual({ chunkBytes: 256 * 1024, window: 8, timeoutMs: 120_000 });
  });

  it('keeps a slow serial line streaming with little overhead, and never times out a chunk still queued', () => {
    const plan = uploadPlan(LINE_115200);
    expect(plan.chunkBytes * plan.window).toBeGreaterThanOrEqual(64 * 1024);
    // Envelope and frame of one data message (about 160 bytes) against its body: under 0.3 %.
    expect(160 / plan.chunkBytes).toBeLessThan(0.003);
    // The last chunk of a full window waits for the line to carry all the others first.
    const drainMs = ((plan.window * plan.chunkBytes) / LINE_115200) * 1000;
    expect(plan.timeoutMs).toBeGreaterThan(drainMs + 60_000);
  });

  it('stretches the timeout for a caller that queues more on a slow line', () => {
    const plan = uploadPlan(LINE_115200, { chunkBytes: 256 * 1024, window: 8 });
    expect(plan.timeoutMs).toBeGreaterThan(((8 * 256 * 1024) / LINE_115200) * 1000 + 60_000);
    expect(uploadPlan(null, { chunkBytes: 1024 * 1024 }).chunkBytes).toBe(256 * 1024);
  });
});
