// The control socket: accepts clients, keeps one Connection per socket, and
// dispatches each request frame to the part of the supervisor that owns it.
// Requests of one connection are handled in arrival order. A request the
// supervisor does not know gets an error reply at once (never silence), so a
// client of another version fails fast with a sentence saying why.
import { log } from "./log.ts";
import fs from "node:fs";
import { BgtermError, EXIT, usageError } from "../errors.ts";
import { Channel } from "../shared/channel.ts";
import { type Frame, PROTOCOL_VERSION, type Reply, type Request, unknownRequestMessage } from "../shared/protocol.ts";
import { Connection } from "./connection.ts";
import { checkRequest } from "./request-check.ts";

// The largest frame parts a client sends: a header (an --until pattern is the
// longest field) and an input chunk. Larger ones are refused before buffering.
const MAX_HEADER_BYTES = 256 * 1024;
const MAX_PAYLOAD_BYTES = 1024 * 1024;
// How long a paste in progress keeps its turn while its client sends nothing.
const INPUT_TURN_MS = 5000;

// What the server dispatches to: one handler per request op (the supervisor
// wires them to its parts). A handler replies through the connection, or throws.
export type RequestHandlers = {
  [Op in Exclude<Request["op"], "hello">]: (
    conn: Connection,
    request: Extract<Request, { op: Op }>,
    payload: Buffer,
  ) => void | Promise<void>;
};

export class SupervisorServer {
  private readonly connections = new Set<Connection>();
  private listener: ReturnType<typeof Bun.listen<Connection>>;
  // Called after a connection has closed and been forgotten by every part.
  private readonly closeListeners: ((conn: Connection) => void)[] = [];

  constructor(
    private readonly socketPath: string,
    private readonly handlers: RequestHandlers,
    // Input is still waiting for the terminal to take it (its drain).
    private readonly inputPending: () => boolean = () => false,
  ) {
    this.listener = this.listen();
  }

  private listen(): ReturnType<typeof Bun.listen<Connection>> {
    const listener = Bun.listen<Connection>({
      unix: this.socketPath,
      socket: {
        open: (socket) => {
          const conn = new Connection(
            new Channel<Request, Reply>(socket, { header: MAX_HEADER_BYTES, payload: MAX_PAYLOAD_BYTES }),
          );
          socket.data = conn;
          this.connections.add(conn);
          conn.channel.onFrame = (frame) => this.arrived(conn, frame);
          // Bytes that are not frames: say why, then hang up (no resynchronising).
          conn.channel.onBroken = (why) => {
            conn.fail(new Error(`invalid request: ${why}`), EXIT.usage);
            conn.channel.end();
          };
          conn.channel.onClose = () => this.closed(conn);
        },
        data: (socket, chunk) => socket.data.channel.received(chunk),
        drain: (socket) => socket.data.channel.flush(),
        close: (socket) => socket.data.channel.closedByPeer(),
        error: (socket) => socket.data.channel.closedByPeer(),
      },
    });
    fs.chmodSync(this.socketPath, 0o600);
    return listener;
  }

  // The socket file was removed (the state dir went at logout): listen on a
  // new one at the same path; open connections carry on.
  relisten(): void {
    this.listener.stop(false);
    this.listener = this.listen();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  onConnectionClosed(listener: (conn: Connection) => void): void {
    this.closeListeners.push(listener);
  }

  stop(): void {
    this.listener.stop(true);
    fs.rmSync(this.socketPath, { force: true });
  }

  private closed(conn: Connection): void {
    this.connections.delete(conn);
    conn.held.length = 0;
    this.waiting = this.waiting.filter((other) => other !== conn);
    if (this.inputOwner === conn) this.releaseInput();
    for (const listener of this.closeListeners) listener(conn);
  }

  // ---- one paste at a time ---------------------------------------------------
  // A send's input arrives in several frames (`more: true` on all but the
  // last). While one connection's input is in progress, other connections'
  // frames wait, in their own order, and connections take their turn in
  // arrival order: concurrent pastes go in whole, never interleaved.

  private inputOwner?: Connection;
  private ownerTimer?: Timer;
  private waiting: Connection[] = [];

  private arrived(conn: Connection, frame: Frame<Request>): void {
    const isInput = (frame.header as { op?: unknown } | null)?.op === "input";
    if (conn.held.length > 0 || (isInput && this.inputOwner !== undefined && this.inputOwner !== conn)) {
      if (conn.held.length === 0) this.waiting.push(conn);
      conn.held.push(frame);
      void conn.send({ op: "queued" });
      return;
    }
    // Queued first, then the turn changes hands (a release replays waiting frames).
    this.dispatch(conn, frame.header, frame.payload);
    if (isInput) this.takeInput(conn, (frame.header as { more?: unknown }).more === true);
  }

  private takeInput(conn: Connection, more: boolean): void {
    clearTimeout(this.ownerTimer);
    if (!more) {
      if (this.inputOwner === conn) this.releaseInput();
      return;
    }
    this.inputOwner = conn;
    // The paste ahead of them made progress: waiting clients keep waiting.
    for (const other of this.waiting) void other.send({ op: "queued" });
    // A client that stops halfway (stopped, hung) gives up its turn.
    const expire = () => {
      if (this.inputPending()) this.ownerTimer = setTimeout(expire, INPUT_TURN_MS);
      else if (this.inputOwner === conn) this.releaseInput();
    };
    this.ownerTimer = setTimeout(expire, INPUT_TURN_MS);
  }

  private releaseInput(): void {
    clearTimeout(this.ownerTimer);
    this.inputOwner = undefined;
    // Replay waiting connections in arrival order until one takes the turn.
    while (this.inputOwner === undefined && this.waiting.length > 0) {
      const conn = this.waiting.shift()!;
      while (conn.held.length > 0) {
        const next = conn.held[0]!;
        const isInput = (next.header as { op?: unknown } | null)?.op === "input";
        if (isInput && this.inputOwner !== undefined && this.inputOwner !== conn) {
          this.waiting.unshift(conn);
          return;
        }
        conn.held.shift();
        this.dispatch(conn, next.header, next.payload);
        if (isInput) this.takeInput(conn, (next.header as { more?: unknown }).more === true);
      }
    }
  }

  private dispatch(conn: Connection, request: Request, payload: Buffer): void {
    const op = (request as { op?: unknown } | null)?.op;
    const known = typeof op === "string" && (op === "hello" || Object.hasOwn(this.handlers, op));
    if (!known) return conn.fail(new Error(unknownRequestMessage(op)), EXIT.internal);
    try {
      checkRequest(request as Request & Record<string, unknown>);
      if (payload.length > 0 && op !== "input") throw usageError(`bad request '${op}': it takes no payload`);
    } catch (error) {
      return conn.fail(error, exitCodeOf(error));
    }
    if (op === "hello") return this.hello(conn, request as Extract<Request, { op: "hello" }>);
    if (conn.mismatched !== undefined) {
      return conn.fail(new Error(protocolRefusalMessage(conn.mismatched)), EXIT.internal);
    }
    const handler = this.handlers[op as keyof RequestHandlers];
    try {
      const result = (handler as (c: Connection, r: Request, p: Buffer) => void | Promise<void>)(
        conn,
        request,
        payload,
      );
      if (result) result.catch((error) => conn.fail(error, exitCodeOf(error)));
    } catch (error) {
      conn.fail(error, exitCodeOf(error));
    }
  }

  // The version exchange. The supervisor answers with its own version either
  // way; the client, which knows both, decides and words the error.
  private hello(conn: Connection, request: Extract<Request, { op: "hello" }>): void {
    void conn.send({ op: "hello", protocol: PROTOCOL_VERSION });
    if (request.protocol !== PROTOCOL_VERSION) {
      conn.mismatched = request.protocol;
      log(`a client speaks protocol v${request.protocol}, this supervisor v${PROTOCOL_VERSION}`);
    }
  }
}

function protocolRefusalMessage(theirs: number): string {
  return `refused: this connection's hello said protocol v${theirs}, this supervisor speaks v${PROTOCOL_VERSION}`;
}

function exitCodeOf(error: unknown): number {
  return error instanceof BgtermError ? error.exitCode : EXIT.internal;
}
