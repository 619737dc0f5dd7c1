/** One operation at a time, in arrival order: each calls `done` when it finishes. Bounded. */
export type SerialOperation = (done: () => void) => void;

export class SerialQueue {
  private readonly queue: SerialOperation[] = [];
  private running = false;

  constructor(
    private readonly name: string,
    private readonly operationsQueuedMax: number,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  enqueue(operation: SerialOperation): void {
    if (this.queue.length >= this.operationsQueuedMax)
      throw new Error(`${this.name}: operationsQueuedMax (${this.operationsQueuedMax}) reached`);
    this.queue.push(operation);
    this.runNext();
  }

  private runNext(): void {
    if (this.running) return;
    const operation = this.queue.shift();
    if (operation === undefined) return;
    this.running = true;
    operation(() => {
      this.running = false;
      this.runNext();
    });
  }
}
