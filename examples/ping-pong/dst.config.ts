// The scenarios `npx dst` knows in this project (dst list, run, replay, sweep, shrink, view).
import { defineConfig } from "dst-harness";
import { pingPong } from "./scenarios/ping-pong.ts";

export default defineConfig({ scenarios: [pingPong] });
