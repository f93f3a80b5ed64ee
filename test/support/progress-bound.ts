/**
 * A bound on waiting that moves with progress: it passes only after `stillMs` in which what is observed did not change,
 * or after `capMs` in all. A busy machine makes progress slowly, not never: it is given the time it needs, and a stuck
 * one is named after `stillMs`, with what was still under way.
 */
export class ProgressBound {
  private readonly started: number;
  private lastChange: number;
  private lastState: string | undefined;

  constructor(
    private readonly stillMs: number,
    private readonly capMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.started = clock();
    this.lastChange = this.started;
  }

  /** What is under way now, as text: a change of it is progress. */
  observe(state: string): void {
    if (state === this.lastState) return;
    this.lastState = state;
    this.lastChange = this.clock();
  }

  get passed(): boolean {
    const now = this.clock();
    return now - this.lastChange >= this.stillMs || now - this.started >= this.capMs;
  }

  /** Why it passed, for a failure's message. */
  describe(): string {
    const now = this.clock();
    const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
    return now - this.started >= this.capMs
      ? `the cap of ${seconds(this.capMs)} passed`
      : `nothing changed for ${seconds(now - this.lastChange)} (after ${seconds(now - this.started)}): ${this.lastState}`;
  }
}
