/** A second process pulling the same file (hub.test.ts): argv = dir, mirror, registry entry JSON. */
import { Hub, type HubEntry } from '../../../src/weights/index.js';

const [dir, mirror, entryJson] = process.argv.slice(2);
const entry = JSON.parse(entryJson) as HubEntry;
const hub = new Hub({ dir, mirror, torchHubDir: null, registry: [entry] });
let waited = false;
try {
  const r = await hub.pull(entry.name, { onWait: () => (waited = true) });
  console.log(JSON.stringify({ path: r.path, downloaded: r.downloaded, sha256: r.sha256, waited }));
} catch (e) {
  console.log(JSON.stringify({ error: (e as Error).message }));
  process.exitCode = 1;
}
