// A fixed-capacity ring buffer: the charts keep only the last `capacity` points per series, so
// memory and redraw cost stay flat however long the page stays open or however fast the world runs.

/** @template T */
export class RingBuffer {
  /** @param {number} capacity */
  constructor(capacity) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`capacity: expected a positive integer, got ${capacity}`);
    this.capacity = capacity;
    /** @type {T[]} */
    this.items = new Array(capacity);
    this.start = 0;
    this.length = 0;
  }

  /** @param {T} item */
  push(item) {
    if (this.length < this.capacity) {
      this.items[(this.start + this.length) % this.capacity] = item;
      this.length += 1;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Oldest first. @returns {T[]} */
  toArray() {
    const out = new Array(this.length);
    for (let i = 0; i < this.length; i += 1) out[i] = this.items[(this.start + i) % this.capacity];
    return out;
  }

  /** @returns {T | undefined} */
  last() {
    return this.length === 0 ? undefined : this.items[(this.start + this.length - 1) % this.capacity];
  }
}
