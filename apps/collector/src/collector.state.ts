import { Injectable } from '@nestjs/common';

/** Shutdown state shared by the HTTP front and the use case: draining, and requests in progress. */
@Injectable()
export class CollectorState {
  draining = false;
  private inFlight = 0;
  private idle: (() => void) | undefined;

  enter(): void {
    this.inFlight++;
  }
  leave(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.idle?.();
  }
  /** Resolves when no request is in progress, or after `timeoutMs` (false then). */
  async whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<boolean>((r) => (this.idle = () => r(true))),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.idle = undefined;
    return done;
  }
  pending(): number {
    return this.inFlight;
  }
}
