// The JSON-lines protocol of `bgterm rpc --stdio`, one definition for the
// endpoint and for the CLI that talks to it over SSH. Every line is one JSON
// object. The endpoint speaks first: {"bgterm":VERSION,"protocol":N,"methods":[...]}.
// Requests: {"id":ID,"method":NAME,"params":{...}} with optional "raw":true
// (stdout bytes instead of a parsed --json document), "stream":true (stdout as
// events while the command runs) and "stdin" (base64).
// Responses carry the same id, "exit_code", and "result" or "stdout", or
// "error":{"code","message"}; events (subscribe, stream) carry "event" and the request's id.

// Bumped when a request or response changes incompatibly.
export const RPC_PROTOCOL = 1;

// Longest request line accepted (base64 input for send --stdin fits a 16 MiB paste).
export const MAX_LINE_BYTES = 24 * 1024 * 1024;

export type RpcId = string | number;

export interface RpcRequest {
  id: RpcId;
  method: string;
  params: Record<string, unknown>;
  raw: boolean;
  // Raw stdout as {"event":"stdout"} events while the command runs.
  stream: boolean;
  stdin?: Uint8Array;
}

export interface RpcHello {
  bgterm: string;
  protocol: number;
  methods: string[];
}

export interface RpcResponse {
  id: RpcId | null;
  exit_code: number;
  result?: unknown;
  stdout?: string;
  stderr?: string;
  error?: { code: number; message: string; detail?: string };
}

export interface RpcEvent {
  id: RpcId;
  event: "output" | "exit" | "stdout";
  data?: string;
  offset?: number;
  exit_code?: number;
}

// A request line checked field by field; throws a sentence saying what is wrong.
export function parseRequest(line: string): RpcRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error("bad request: not a JSON object");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("bad request: not a JSON object");
  }
  const object = value as Record<string, unknown>;
  const id = object.id;
  if (!((typeof id === "string" && id.length <= 200) || (typeof id === "number" && Number.isFinite(id)))) {
    throw new Error("bad request: 'id' must be a number or a short string");
  }
  if (typeof object.method !== "string" || !/^[a-z_]{1,32}$/.test(object.method)) {
    throw Object.assign(new Error("bad request: 'method' must be a method name"), { id });
  }
  const params = object.params ?? {};
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw Object.assign(new Error("bad request: 'params' must be an object"), { id });
  }
  if (object.stdin !== undefined && typeof object.stdin !== "string") {
    throw Object.assign(new Error("bad request: 'stdin' must be base64 text"), { id });
  }
  return {
    id,
    method: object.method,
    params: params as Record<string, unknown>,
    raw: object.raw === true,
    stream: object.stream === true,
    stdin: typeof object.stdin === "string" ? Buffer.from(object.stdin, "base64") : undefined,
  };
}

// The hello line, checked before anything is sent to the endpoint.
export function parseHello(line: string): RpcHello | undefined {
  try {
    const value = JSON.parse(line);
    if (typeof value?.bgterm === "string" && typeof value.protocol === "number") {
      return {
        bgterm: value.bgterm,
        protocol: value.protocol,
        methods: Array.isArray(value.methods) ? value.methods : [],
      };
    }
  } catch {
    // Not a hello (a login banner or a shell's noise).
  }
  return undefined;
}
