// The control socket: accepts clients, keeps one Connection per socket, and
// dispatches each request frame to the part of the supervisor that owns it.
// Requests of one connection are handled in arrival order. A request the
// supervisor does not know gets an error reply at once (never silence), so a
// client of another version fails fast with a sentence saying why.
import { log } from "./log.ts";
import fs from "node:fs";
import { BgtermError, EXIT } from "../errors.ts";
import { Channel } from "../shared/channel.ts";
import { PROTOCOL_VERSION, type Reply, type Request, unknownRequestMessage } from "../shared/protocol.ts";
import { Connection } from "./connection.ts";
import { checkRequest } from "./request-check.ts";

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
  ) {
    this.listener = this.listen();
  }

  private listen(): ReturnType<typeof Bun.listen<Connection>> {
    const listener = Bun.listen<Connection>({
      unix: this.socketPath,
      socket: {
        open: (socket) => {
          const conn = new Connection(new Channel<Request, Reply>(socket));
          socket.data = conn;
          this.connections.add(conn);
          conn.channel.onFrame = ({ header, payload }) => this.dispatch(conn, header, payload);
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
    for (const listener of this.closeListeners) listener(conn);
  }

  private dispatch(conn: Connection, request: Request, payload: Buffer): void {
    const op = (request as { op?: unknown } | null)?.op;
    const known = typeof op === "string" && (op === "hello" || Object.hasOwn(this.handlers, op));
    if (!known) return conn.fail(new Error(unknownRequestMessage(op)), EXIT.internal);
    try {
      checkRequest(request as Request & Record<string, unknown>);
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
