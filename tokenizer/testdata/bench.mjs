// Measures transformers.js's tokenizer on texts, for the Go benchmark to
// print beside its own figure.
//
//   node bench.mjs NODE_MODULES_DIR MODELS_ROOT DIR SECONDS < texts.json
//
// Prints {"tokens_per_sec": N, "texts_per_sec": N}.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [modules, root, dir, seconds] = process.argv.slice(2);
const require = createRequire(join(modules, 'noop.js'));
const { AutoTokenizer, env } = await import(pathToFileURL(require.resolve('@huggingface/transformers')).href);
env.allowRemoteModels = false;
env.localModelPath = root.endsWith('/') ? root : root + '/';
const tok = await AutoTokenizer.from_pretrained(dir);
const texts = JSON.parse(readFileSync(0, 'utf8'));
const once = () => {
  let n = 0;
  for (const t of texts) n += tok(t, { truncation: true, return_tensor: false }).input_ids.length;
  return n;
};
once(); // warm up (and fill the BPE cache, as the Go side's is after its first pass)
let tokens = 0, rounds = 0;
const start = performance.now();
while (performance.now() - start < Number(seconds) * 1000) {
  tokens += once();
  rounds++;
}
const secs = (performance.now() - start) / 1000;
process.stdout.write(JSON.stringify({ tokens_per_sec: tokens / secs, texts_per_sec: (rounds * texts.length) / secs }));
