// The README's quick start, 50 fresh runs of 50.
import { afterAll, test } from "bun:test";
import { Bg } from "../helpers.ts";
import { quickStart } from "./quick-start.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

test("the quick start prints 4 and the prompt, 50 fresh runs of 50", async () => {
  await quickStart(50, bg);
}, 600_000);
