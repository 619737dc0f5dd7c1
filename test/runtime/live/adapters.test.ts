// The live adapters on a real OS: frames over real TCP (split anywhere, reconnect after the peer
// comes back, bounded queues), and FileDisk on a real temp directory under RaftStorage (durable
// round trip, torn tail cut on recovery, a flipped bit in a synced record reported as damage to repair).
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtempSync, rmSync, appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { BINARY_APPEND_TAG, BINARY_PAYLOAD_TAG, encodeFrame, FrameDecoder, FrameError } from "../../../runtime/live/adapters/framing.js";
import { decodeBatch, encodeBatch } from "../../../cells/ledger/codec.js";
import { TcpTransport } from "../../../runtime/live/adapters/tcp-transport.js";
import { FileDisk } from "../../../runtime/live/adapters/file-disk.js";
import { RealClock } from "../../../runtime/live/adapters/real-clock.js";
import { RaftStorage } from "../../../cells/storage/storage.js";
import { createRandom } from "../../../ground/random.js";
import { logIndex, nodeId, term, type Entry } from "../../../cells/raft/types.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error("timed out"));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

describe("framing", () => {
  it("reassembles frames from chunks split at any byte", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (values, cuts) => {
        const bytes = Buffer.concat(values.map((value) => encodeFrame(value)));
        const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
        const decoder = new FrameDecoder();
        const out: unknown[] = [];
        let previous = 0;
        for (const point of [...points, bytes.length]) {
          out.push(...decoder.push(bytes.subarray(previous, point)));
          previous = point;
        }
        expect(out).toEqual(values.map((value) => JSON.parse(JSON.stringify(value))));
      }),
      { numRuns: 100 },
    );
  });

  it("carries a Raft append's entries in binary and decodes it to the same message, split anywhere", () => {
    const entries = [
      { kind: "normal", index: 7, term: 2, data: { requestId: "t1", note: 'quote " and \\ and "entries":0 ünïcode ✓' } },
      { kind: "noop", index: 8, term: 3, data: null },
      { kind: "config", index: 9, term: 3, data: { voters: ["a", "b"] } },
    ];
    const message = { type: "append", to: "b", from: "a", term: 3, index: 6, logTerm: 2, entries, commit: 5, nested: { entries: 0 } };
    const frame = encodeFrame(message);
    expect(frame[4]).toBe(BINARY_APPEND_TAG);
    const expected = JSON.parse(JSON.stringify(message));
    const bytes = Buffer.concat([frame, encodeFrame({ ...message, to: "c" }), encodeFrame({ type: "append", entries: [], term: 1 })]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), (cuts) => {
        const decoder = new FrameDecoder();
        const out: unknown[] = [];
        let previous = 0;
        for (const point of [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b).concat(bytes.length)) {
          out.push(...decoder.push(bytes.subarray(previous, point)));
          previous = point;
        }
        expect(out).toEqual([expected, { ...expected, to: "c" }, { type: "append", entries: [], term: 1 }]);
      }),
      { numRuns: 50 },
    );
  });

  it("carries a client's batch bytes and a Raft entry holding them as bytes, not JSON", () => {
    const batch = encodeBatch({
      requestId: "client/a~x.1",
      linked: false,
      commands: [{ type: "Transfer", id: "t1", from: "a", to: "b", amount: 3 }],
    });
    const request = { type: "client-request", requestId: "client/a~x.1", kind: "batch", payload: batch, replyTo: "client/a" };
    const frame = encodeFrame(request);
    expect(frame[4]).toBe(BINARY_PAYLOAD_TAG);
    const [decoded] = new FrameDecoder().push(frame) as [typeof request];
    expect({ ...decoded, payload: null }).toEqual({ ...request, payload: null });
    expect(decoded.payload).toBeInstanceOf(Uint8Array);
    expect(decodeBatch(decoded.payload)).toEqual(decodeBatch(batch));
    const append = {
      type: "append",
      to: "b",
      from: "a",
      term: 3,
      index: 6,
      logTerm: 2,
      entries: [{ kind: "normal", index: 7, term: 3, data: batch }],
      commit: 5,
    };
    const [appended] = new FrameDecoder().push(encodeFrame(append)) as [typeof append];
    expect(appended.entries[0]?.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(appended.entries[0]?.data ?? [])).toEqual(Array.from(batch));
  });

  it("keeps anything that is not a Raft entry batch on the JSON path", () => {
    const notEntries = { type: "append", entries: [{ index: 1, term: 1, data: 1 }] }; // no kind
    expect(encodeFrame(notEntries)[4]).toBe("{".charCodeAt(0));
    expect(new FrameDecoder().push(encodeFrame(notEntries))).toEqual([notEntries]);
  });

  it("rejects a binary append whose header length runs past the frame", () => {
    const frame = encodeFrame({ type: "append", term: 1, entries: [{ kind: "noop", index: 1, term: 1, data: null }] });
    frame.writeUInt32BE(frame.length, 5);
    let caught: unknown = null;
    try {
      new FrameDecoder().push(frame);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FrameError);
    expect((caught as FrameError).code).toBe("MALFORMED");
  });

  it("rejects a frame longer than frameBytesMax before allocating it", () => {
    const decoder = new FrameDecoder(16);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1_000_000, 0);
    expect(() => decoder.push(header)).toThrow(FrameError);
  });
});

describe("TcpTransport", () => {
  it("delivers messages both ways, replies to a client that does not listen, and reconnects after the peer restarts", async () => {
    const port = await freePort();
    const makeServer = (): TcpTransport => new TcpTransport({ self: "replica", listen: { host: "127.0.0.1", port }, peers: new Map() });
    let server = makeServer();
    await server.listen();
    const received: string[] = [];
    const wire = (transport: TcpTransport): void =>
      transport.onMessage((source, message) => {
        received.push(`${source}:${JSON.stringify(message)}`);
        transport.send(source, { echo: message });
      });
    wire(server);
    const client = new TcpTransport({
      self: "client/a",
      peers: new Map([["replica", `127.0.0.1:${port}`]]),
      reconnectDelayUsMin: 10_000,
      reconnectDelayUsMax: 40_000,
    });
    cleanups.push(() => client.close());
    const answers: unknown[] = [];
    client.onMessage((source, message) => answers.push({ source, message }));
    client.send("replica", { n: 1 });
    await waitFor(() => answers.length === 1);
    expect(received).toEqual(['client/a:{"n":1}']);
    expect(answers[0]).toEqual({ source: "replica", message: { echo: { n: 1 } } });

    await server.close();
    // While the peer is gone, frames queue (bounded) and the dialler backs off and retries.
    client.send("replica", { n: 2 });
    server = makeServer();
    wire(server);
    cleanups.push(() => server.close());
    await server.listen();
    // Best effort: a frame written into the dying connection is lost, so resend until answered.
    const resend = setInterval(() => client.send("replica", { n: 2 }), 50);
    await waitFor(() => answers.length >= 2).finally(() => clearInterval(resend));
    expect(answers[1]).toEqual({ source: "replica", message: { echo: { n: 2 } } });
    expect(client.stats.connects).toBeGreaterThanOrEqual(2);
  });

  it("drops frames beyond sendQueueFramesMax while a peer is unreachable", async () => {
    const port = await freePort();
    const client = new TcpTransport({
      self: "a",
      peers: new Map([["b", `127.0.0.1:${port}`]]),
      sendQueueFramesMax: 3,
      reconnectDelayUsMin: 1_000_000,
    });
    cleanups.push(() => client.close());
    for (let i = 0; i < 10; i++) client.send("b", { i });
    expect(client.stats.droppedFrames).toBe(7);
  });
});

describe("TcpTransport connections", () => {
  it("connectAll dials every peer before any message is sent", async () => {
    const port = await freePort();
    const peer = new TcpTransport({ self: "peer", listen: { host: "127.0.0.1", port }, peers: new Map() });
    await peer.listen();
    const dialler = new TcpTransport({ self: "replica", peers: new Map([["peer", `127.0.0.1:${port}`]]) });
    cleanups.push(
      () => dialler.close(),
      () => peer.close(),
    );
    dialler.connectAll();
    await waitFor(() => dialler.stats.connects === 1);
    expect(dialler.stats.sentFrames).toBe(0);
  });

  it("keeps backing off from a peer whose proxy accepts and at once closes (dead upstream)", async () => {
    // What a Toxiproxy proxy in front of a killed replica does: accept, fail its own dial, close.
    let accepted = 0;
    const proxy = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const address = proxy.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const dialler = new TcpTransport({
      self: "replica",
      peers: new Map([["dead", `127.0.0.1:${address.port}`]]),
      reconnectDelayUsMin: 20_000,
      reconnectDelayUsMax: 500_000,
    });
    cleanups.push(
      () => dialler.close(),
      () => new Promise<void>((resolve) => proxy.close(() => resolve())),
    );
    dialler.connectAll();
    await new Promise((resolve) => setTimeout(resolve, 700));
    // Backoff 20, 40, 80, 160, 320 ms: about six dials in 700 ms (one every 20 ms would be ~35).
    expect(accepted).toBeGreaterThanOrEqual(3);
    expect(accepted).toBeLessThanOrEqual(8);
  });
});

describe("RealClock", () => {
  it("fires timers in delay order and measures elapsed time in microseconds", async () => {
    const clock = new RealClock();
    const fired: number[] = [];
    const start = clock.nowUs();
    clock.setTimer(30_000, () => fired.push(30));
    clock.setTimer(5_000, () => fired.push(5));
    const cancelled = clock.setTimer(10_000, () => fired.push(10));
    clock.cancelTimer(cancelled);
    await waitFor(() => fired.length === 2);
    expect(fired).toEqual([5, 30]);
    expect(clock.nowUs() - start).toBeGreaterThanOrEqual(29_000);
  });
});

describe("FileDisk under RaftStorage", () => {
  const entries = (from: number, count: number): Entry[] =>
    Array.from(
      { length: count },
      (_, i) =>
        ({ index: logIndex(from + i), term: term(1), data: { requestId: `r${from + i}`, pad: "x".repeat(40) } }) as unknown as Entry,
    );

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "ldc-disk-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A FileDisk in a fresh directory with a RaftStorage on it, loaded (empty). */
  async function loadedStorage(): Promise<{ dir: string; disk: FileDisk; storage: RaftStorage }> {
    const dir = tempDir();
    const disk = new FileDisk(dir);
    const storage = new RaftStorage({ walFile: "raft.wal", snapshotFile: "raft.snap" }, disk);
    await new Promise((resolve) => storage.load(resolve));
    return { dir, disk, storage };
  }

  /** The error code a disk call answers with (null: success). */
  const call = (run: (callback: (error: { code: string } | null) => void) => void): Promise<string | null> =>
    new Promise((resolve) => run((error) => resolve(error?.code ?? null)));

  function save(storage: RaftStorage, from: number, count: number): Promise<void> {
    return new Promise((resolve, reject) =>
      storage.save({ term: term(1), vote: nodeId("a"), commit: logIndex(from + count - 1) }, entries(from, count), null, (failure) =>
        failure === null ? resolve() : reject(new Error(failure.code)),
      ),
    );
  }

  function load(dir: string): Promise<Parameters<Parameters<RaftStorage["load"]>[0]>[0]> {
    const storage = new RaftStorage({ walFile: "raft.wal", snapshotFile: "raft.snap" }, new FileDisk(dir));
    return new Promise((resolve) => storage.load(resolve));
  }

  it("reads back what was synced, in a fresh process view of the same directory", async () => {
    const dir = tempDir();
    const storage = new RaftStorage({ walFile: "raft.wal", snapshotFile: "raft.snap" }, new FileDisk(dir));
    await new Promise((resolve) => storage.load(resolve));
    await save(storage, 1, 5);
    await save(storage, 6, 5);
    const result = await load(dir);
    expect(result.code).toBe("OK");
    if (result.code !== "OK") return;
    expect(result.state.entries.map((entry) => entry.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.state.hardState.commit).toBe(10);
    expect(result.tornBytes).toBe(0);
  });

  it("cuts a torn tail on recovery and keeps every complete record", async () => {
    const { dir, disk, storage } = await loadedStorage();
    await save(storage, 1, 3);
    const walPath = disk.pathOf("raft.wal");
    const goodBytes = statSync(walPath).size;
    appendFileSync(walPath, Buffer.from([0, 0, 1, 0, 9, 9, 9])); // a frame header that promises more than is there
    const result = await load(dir);
    expect(result.code).toBe("OK");
    if (result.code !== "OK") return;
    expect(result.tornBytes).toBe(7);
    expect(result.state.entries).toHaveLength(3);
    expect(statSync(walPath).size).toBe(goodBytes);
  });

  it("reports a bit flipped in a synced record as damage to repair, not as a torn tail", async () => {
    const { dir, disk, storage } = await loadedStorage();
    await save(storage, 1, 3);
    await save(storage, 4, 3);
    const flipped = disk.corruptSyncedRecord("raft.wal", createRandom(7));
    expect(flipped.ok).toBe(true);
    const result = await load(dir);
    expect(result.code).toBe("OK");
    if (result.code !== "OK") return;
    expect(result.tornBytes).toBe(0);
    // The flip lands in the second save (entries 4-6 and their hard state): the first survives.
    expect(result.state.repair?.reason).toMatch(/damaged/);
    expect(result.state.repair?.lostFromIndex).toBeGreaterThanOrEqual(4);
    expect(result.state.entries.map((entry) => entry.index).slice(0, 3)).toEqual([1, 2, 3]);
  });

  it("never corrupts bytes appended after the last fsync: only synced frames are candidates", async () => {
    const { disk, storage } = await loadedStorage();
    await save(storage, 1, 3);
    await save(storage, 4, 3); // two synced frames: only the first may be flipped
    const walPath = disk.pathOf("raft.wal");
    const synced = readFileSync(walPath);
    // The same valid frames again, appended but not fsynced: a whole-file view would pick them.
    await new Promise((resolve) => disk.append("raft.wal", new Uint8Array(synced), resolve));
    const original = readFileSync(walPath);
    const offsets = (): number[] =>
      Array.from({ length: 20 }, (_, i) => {
        writeFileSync(walPath, original); // undo the previous flip
        const result = disk.corruptSyncedRecord("raft.wal", createRandom(i + 1));
        return result.ok ? result.offset : -1;
      });
    expect(offsets().every((offset) => offset >= 0 && offset < synced.length)).toBe(true);
    await new Promise((resolve) => disk.fsync("raft.wal", resolve));
    expect(offsets().some((offset) => offset >= synced.length)).toBe(true);
    disk.close();
  });

  it("appendAndSync is one O_DSYNC write; under an injected fsync EIO the bytes land but the call fails", async () => {
    const disk = new FileDisk(tempDir());
    expect(await call((cb) => disk.appendAndSync("w", new Uint8Array([1, 2]), cb))).toBeNull();
    disk.faults.fsyncEio = true;
    expect(await call((cb) => disk.appendAndSync("w", new Uint8Array([3]), cb))).toBe("EIO");
    disk.faults.fsyncEio = false;
    disk.faults.enospc = true;
    expect(await call((cb) => disk.appendAndSync("w", new Uint8Array([4]), cb))).toBe("ENOSPC");
    disk.faults.enospc = false;
    expect(await call((cb) => disk.append("w", new Uint8Array([5]), cb))).toBeNull();
    expect(await call((cb) => disk.appendAndSync("w", new Uint8Array([6]), cb))).toBeNull();
    // Both descriptors append at the end, in the order the calls were made.
    expect([...readFileSync(disk.pathOf("w"))]).toEqual([1, 2, 3, 5, 6]);
    disk.close();
  });

  it("injects fsync EIO and ENOSPC, and they stop when healed", async () => {
    const disk = new FileDisk(tempDir());
    disk.faults.enospc = true;
    expect(await call((cb) => disk.append("f", new Uint8Array([1]), cb))).toBe("ENOSPC");
    disk.faults.enospc = false;
    expect(await call((cb) => disk.append("f", new Uint8Array([1]), cb))).toBeNull();
    disk.faults.fsyncEio = true;
    expect(await call((cb) => disk.fsync("f", cb))).toBe("EIO");
    disk.faults.fsyncEio = false;
    expect(await call((cb) => disk.fsync("f", cb))).toBeNull();
    expect(disk.list()).toEqual(["f"]);
    expect(await call((cb) => disk.rename("f", "a/b", cb))).toBeNull();
    expect(disk.list()).toEqual(["a/b"]);
    expect(await call((cb) => disk.remove("a/b", cb))).toBeNull();
    expect(await call((cb) => disk.read("a/b", (error) => cb(error)))).toBe("ENOENT");
    disk.close();
  });
});

describe("RealClock sub-millisecond chains", () => {
  it("keeps the rate of a chain of 100 µs timers (Node alone would throttle it to one per ms)", async () => {
    const clock = new RealClock();
    let fired = 0;
    const start = clock.nowUs();
    const next = (): void => {
      fired++;
      if (fired < 500) clock.setTimer(100, next);
    };
    clock.setTimer(100, next);
    await waitFor(() => fired === 500);
    // 500 x 100 µs = 50 ms of deadlines; one-per-ms throttling would need >= 500 ms.
    expect(clock.nowUs() - start).toBeLessThan(300_000);
  });
});
