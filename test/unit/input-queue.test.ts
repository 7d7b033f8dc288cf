// The supervisor's input queue: input is written in arrival order, each
// write is acknowledged once the backend has taken it, and a write the backend
// had to buffer holds back the rest (and its own acknowledgement) until drain.
import { expect, test } from "bun:test";
import { InputQueue } from "../../src/supervisor/input-queue.ts";

// A backend that takes writes whole unless told to buffer the next one.
function backend() {
  const written: string[] = [];
  let bufferNext = false;
  let accepting = true;
  return {
    written,
    bufferNext: () => {
      bufferNext = true;
    },
    stop: () => {
      accepting = false;
    },
    write: (data: Uint8Array) => {
      written.push(Buffer.from(data).toString());
      const whole = !bufferNext;
      bufferNext = false;
      return whole;
    },
    accepting: () => accepting,
  };
}

test("writes in order and acknowledges each once written", () => {
  const pty = backend();
  const queue = new InputQueue(pty.write, pty.accepting);
  const acks: string[] = [];
  for (const text of ["a", "b", "c"]) queue.push(Buffer.from(text), () => acks.push(text));
  expect(pty.written).toEqual(["a", "b", "c"]);
  expect(acks).toEqual(["a", "b", "c"]);
});

test("a buffered write holds back what follows, and its own ack, until drain", () => {
  const pty = backend();
  const queue = new InputQueue(pty.write, pty.accepting);
  const acks: string[] = [];
  pty.bufferNext();
  queue.push(Buffer.from("big"), () => acks.push("big"));
  queue.push(Buffer.from("next"), () => acks.push("next"));
  expect(pty.written).toEqual(["big"]);
  expect(acks).toEqual([]);
  queue.pump(); // the backend's drain
  expect(pty.written).toEqual(["big", "next"]);
  expect(acks).toEqual(["big", "next"]);
});

test("once the child has exited, queued input is acknowledged without being written", () => {
  const pty = backend();
  const queue = new InputQueue(pty.write, pty.accepting);
  const acks: string[] = [];
  pty.bufferNext();
  queue.push(Buffer.from("first"), () => acks.push("first"));
  queue.push(Buffer.from("late"), () => acks.push("late"));
  pty.stop();
  queue.pump();
  expect(pty.written).toEqual(["first"]);
  expect(acks).toEqual(["first", "late"]);
});

test("an empty input (a paste's last frame) is acknowledged in its turn", () => {
  const pty = backend();
  const queue = new InputQueue(pty.write, pty.accepting);
  const acks: string[] = [];
  queue.push(Buffer.alloc(0), () => acks.push("empty"));
  expect(pty.written).toEqual([]);
  expect(acks).toEqual(["empty"]);
});
