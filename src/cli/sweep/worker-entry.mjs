// Worker thread entry: loads the TypeScript sources through tsx, then the sweep worker.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
