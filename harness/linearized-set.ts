// The set of linearized ops of a search, as a bitset whose memo key covers only the "window"
// between the lowest unlinearized op and the highest linearized one: below it every bit is
// set, above it none is. In a search of a long history that window stays a few words wide,
// so the key is exact (no hash collisions can prune a branch) and cheap.
export class LinearizedSet {
  private readonly words: Uint32Array;
  /** Words below `lowWord` are all ones. */
  private lowWord = 0;
  /** Words above `highWord` are all zeros. */
  private highWord = -1;
  size = 0;

  constructor(readonly capacity: number) {
    this.words = new Uint32Array(Math.ceil(capacity / 32) + 1);
  }

  has(id: number): boolean {
    return ((this.words[id >>> 5] as number) & (1 << (id & 31))) !== 0;
  }

  add(id: number): void {
    const word = id >>> 5;
    this.words[word] = (this.words[word] as number) | (1 << (id & 31));
    this.size++;
    if (word > this.highWord) this.highWord = word;
    while (this.words[this.lowWord] === 0xffffffff) this.lowWord++;
  }

  delete(id: number): void {
    const word = id >>> 5;
    this.words[word] = (this.words[word] as number) & ~(1 << (id & 31));
    this.size--;
    if (word < this.lowWord) this.lowWord = word;
    while (this.highWord >= 0 && this.words[this.highWord] === 0) this.highWord--;
  }

  key(): string {
    let key = `${this.lowWord}:`;
    for (let word = this.lowWord; word <= this.highWord; word++) key += `${this.words[word] as number},`;
    return key;
  }
}
