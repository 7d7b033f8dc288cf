// A small JSON Schema (draft 2020-12) toolkit for the subset bgterm emits:
// builders whose TypeScript type follows the schema (Infer<typeof s>), so the
// --json types and their published schemas come from one declaration, and a
// validator for that subset (tests check real --json output with it; the MCP
// and rpc front ends can check requests with it).

export const SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";

// A schema object as printed. The phantom field carries the TypeScript type.
export type JsonSchema<T = unknown> = { readonly [key: string]: unknown } & { readonly __type?: T };
export type Infer<S> = S extends JsonSchema<infer T> ? T : never;

type Described = { description?: string };
const describe = (options: Described | undefined) =>
  options?.description === undefined ? {} : { description: options.description };

export const s = {
  string: (options?: Described & { pattern?: string; enum?: readonly string[] }): JsonSchema<string> => ({
    type: "string",
    ...(options?.pattern === undefined ? {} : { pattern: options.pattern }),
    ...(options?.enum === undefined ? {} : { enum: [...options.enum] }),
    ...describe(options),
  }),
  literal: <const T extends string>(values: readonly T[], options?: Described): JsonSchema<T> => ({
    type: "string",
    enum: [...values],
    ...describe(options),
  }),
  integer: (options?: Described & { minimum?: number; maximum?: number }): JsonSchema<number> => ({
    type: "integer",
    ...(options?.minimum === undefined ? {} : { minimum: options.minimum }),
    ...(options?.maximum === undefined ? {} : { maximum: options.maximum }),
    ...describe(options),
  }),
  number: (options?: Described & { minimum?: number }): JsonSchema<number> => ({
    type: "number",
    ...(options?.minimum === undefined ? {} : { minimum: options.minimum }),
    ...describe(options),
  }),
  boolean: (options?: Described): JsonSchema<boolean> => ({ type: "boolean", ...describe(options) }),
  // An object with any keys, every value of one schema (labels).
  map: <T>(values: JsonSchema<T>, options?: Described): JsonSchema<Record<string, T>> => ({
    type: "object",
    additionalProperties: values,
    ...describe(options),
  }),
  nullable: <T>(schema: JsonSchema<T>): JsonSchema<T | null> => {
    const { type, description, ...rest } = schema as { type: string; description?: string; enum?: unknown[] };
    // An enum lists every allowed value, so null joins it.
    if (rest.enum) rest.enum = [...rest.enum, null];
    return { type: [type, "null"], ...rest, ...(description === undefined ? {} : { description }) };
  },
  array: <T>(items: JsonSchema<T>, options?: Described): JsonSchema<T[]> => ({
    type: "array",
    items,
    ...describe(options),
  }),
  // Every property is required unless listed in `optional`; no others allowed.
  object: <P extends Record<string, JsonSchema>, O extends keyof P = never>(
    properties: P,
    options?: Described & { optional?: readonly O[] },
  ): JsonSchema<{ [K in Exclude<keyof P, O>]: Infer<P[K]> } & { [K in O]?: Infer<P[K]> }> => {
    const optional = new Set<string>((options?.optional ?? []) as readonly string[]);
    return {
      type: "object",
      properties,
      required: Object.keys(properties).filter((key) => !optional.has(key)),
      additionalProperties: false,
      ...describe(options),
    };
  },
};

// ---- validation of the subset above ----------------------------------------

type Node = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

// Problems found, as "path: what"; empty when the value is valid.
export function validate(schema: unknown, value: unknown, at = "$"): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at}: no value allowed`];
  const node = schema as Node;
  const errors: string[] = [];
  if (node.type !== undefined) {
    const types = Array.isArray(node.type) ? (node.type as string[]) : [node.type as string];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === "integer" && types.includes("number"))) {
      return [`${at}: expected ${types.join(" or ")}, got ${actual}`];
    }
  }
  if (node.const !== undefined && JSON.stringify(node.const) !== JSON.stringify(value)) {
    errors.push(`${at}: expected ${JSON.stringify(node.const)}`);
  }
  if (Array.isArray(node.enum) && !node.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(node.enum)}`);
  }
  if (typeof value === "number") {
    if (typeof node.minimum === "number" && value < node.minimum) errors.push(`${at}: below ${node.minimum}`);
    if (typeof node.maximum === "number" && value > node.maximum) errors.push(`${at}: above ${node.maximum}`);
  }
  if (typeof value === "string") {
    if (typeof node.pattern === "string" && !new RegExp(node.pattern, "u").test(value)) {
      errors.push(`${at}: does not match ${node.pattern}`);
    }
    if (typeof node.minLength === "number" && [...value].length < node.minLength) errors.push(`${at}: too short`);
    if (typeof node.maxLength === "number" && [...value].length > node.maxLength) errors.push(`${at}: too long`);
  }
  if (Array.isArray(value)) {
    if (typeof node.minItems === "number" && value.length < node.minItems) errors.push(`${at}: too few items`);
    if (node.items !== undefined) {
      for (const [i, item] of value.entries()) errors.push(...validate(node.items, item, `${at}[${i}]`));
    }
  }
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    const properties = (node.properties ?? {}) as Record<string, unknown>;
    for (const key of (node.required ?? []) as string[]) {
      if (!(key in object)) errors.push(`${at}: missing ${key}`);
    }
    for (const [key, item] of Object.entries(object)) {
      if (key in properties) errors.push(...validate(properties[key], item, `${at}.${key}`));
      else if (node.additionalProperties !== undefined) {
        errors.push(...validate(node.additionalProperties, item, `${at}.${key}`));
      }
    }
  }
  if (Array.isArray(node.anyOf) && !node.anyOf.some((option) => validate(option, value, at).length === 0)) {
    errors.push(`${at}: matches none of anyOf`);
  }
  return errors;
}

// The keywords this module emits and understands, with the JSON type each
// takes in draft 2020-12. Used to check that a printed schema is well formed.
const KEYWORDS: Record<string, string> = {
  $schema: "string",
  $id: "string",
  $defs: "schema-map",
  title: "string",
  description: "string",
  type: "type",
  enum: "array",
  const: "any",
  pattern: "regex",
  minimum: "number",
  maximum: "number",
  minLength: "integer",
  maxLength: "integer",
  minItems: "integer",
  items: "schema",
  properties: "schema-map",
  required: "string-array",
  additionalProperties: "schema",
  anyOf: "schema-array",
  default: "any",
  examples: "array",
  "x-bgterm-kind": "string",
};
const TYPES = new Set(["null", "boolean", "object", "array", "number", "string", "integer"]);

// Problems that make `schema` not a well-formed draft 2020-12 schema (for the
// keyword subset above; an unknown keyword counts as a problem too).
export function checkSchema(schema: unknown, at = "#"): string[] {
  if (typeof schema === "boolean") return [];
  if (typeOf(schema) !== "object") return [`${at}: a schema is an object or a boolean`];
  const errors: string[] = [];
  for (const [key, value] of Object.entries(schema as Node)) {
    const where = `${at}/${key}`;
    switch (KEYWORDS[key]) {
      case undefined:
        errors.push(`${where}: unknown keyword`);
        break;
      case "string":
        if (typeof value !== "string") errors.push(`${where}: must be a string`);
        break;
      case "number":
        if (typeof value !== "number") errors.push(`${where}: must be a number`);
        break;
      case "integer":
        if (!Number.isInteger(value) || (value as number) < 0) errors.push(`${where}: must be a count`);
        break;
      case "array":
        if (!Array.isArray(value)) errors.push(`${where}: must be an array`);
        break;
      case "string-array":
        if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
          errors.push(`${where}: must be an array of strings`);
        }
        break;
      case "type": {
        const types = Array.isArray(value) ? value : [value];
        if (types.length === 0 || types.some((type) => !TYPES.has(type as string))) {
          errors.push(`${where}: unknown type`);
        }
        break;
      }
      case "regex":
        try {
          new RegExp(value as string, "u");
        } catch {
          errors.push(`${where}: not a regular expression`);
        }
        break;
      case "schema":
        errors.push(...checkSchema(value, where));
        break;
      case "schema-array":
        if (!Array.isArray(value)) errors.push(`${where}: must be an array`);
        else for (const [i, item] of value.entries()) errors.push(...checkSchema(item, `${where}/${i}`));
        break;
      case "schema-map":
        if (typeOf(value) !== "object") errors.push(`${where}: must be an object`);
        else
          for (const [name, item] of Object.entries(value as Node))
            errors.push(...checkSchema(item, `${where}/${name}`));
        break;
    }
  }
  return errors;
}
