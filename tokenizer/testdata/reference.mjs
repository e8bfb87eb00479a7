// Encodes cases with transformers.js (the reference) and, when the npm
// package `tokenizers` (the Rust library's Node binding) is installed, with
// the Rust library too, for its offsets. Local files only.
//
//   node reference.mjs NODE_MODULES_DIR MODELS_ROOT < cases.json > results.json
//
// cases.json: [{"dir": "minilm", "text": "...", "pair": "...", "max_length": 16, "no_special": true}, ...]
// ("pair" "" or absent: none; "max_length" 0 or absent: the model's;
// "no_special": add_special_tokens false).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [modules, root] = process.argv.slice(2);
const require = createRequire(join(modules, 'noop.js'));
const { AutoTokenizer, env } = await import(
  pathToFileURL(require.resolve('@huggingface/transformers')).href
);
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = root.endsWith('/') ? root : root + '/';

let Rust = null;
try {
  Rust = require('tokenizers').Tokenizer;
} catch {
  Rust = null;
}

const cases = JSON.parse(readFileSync(0, 'utf8'));
const loaded = new Map();
const rust = new Map();
const out = [];
for (const c of cases) {
  if (!loaded.has(c.dir)) loaded.set(c.dir, await AutoTokenizer.from_pretrained(c.dir));
  const tok = loaded.get(c.dir);
  const pair = c.pair ? c.pair : null;
  const add_special_tokens = !c.no_special;
  const opts = { text_pair: pair, truncation: true, return_tensor: false, add_special_tokens };
  if (c.max_length) opts.max_length = c.max_length;
  const enc = tok(c.text, opts);
  const inner = tok._tokenizer.encode(c.text, { text_pair: pair, add_special_tokens, return_token_type_ids: true });
  const n = enc.input_ids.length;
  const r = {
    input_ids: enc.input_ids,
    attention_mask: enc.attention_mask,
    token_type_ids: enc.token_type_ids ?? null,
    type_ids: inner.token_type_ids ? inner.token_type_ids.slice(0, n) : null,
    tokens: inner.tokens.slice(0, n),
    returns_type_ids: tok.return_token_type_ids === true,
    model_max_length: Number.isFinite(tok.model_max_length) ? tok.model_max_length : 0,
    pad_token_id: tok.pad_token_id ?? null,
  };
  if (Rust) {
    if (!rust.has(c.dir)) {
      let t = null;
      const file = join(root, c.dir, 'tokenizer.json');
      try {
        // The Rust library aborts the process on a Precompiled normalizer
        // without a real charsmap (which transformers.js never reads).
        if (readFileSync(file, 'utf8').includes('"Precompiled"')) throw new Error('skip');
        t = Rust.fromFile(file);
        t.setTruncation(1 << 30);
        t.disablePadding();
      } catch {
        t = null; // a configuration only transformers.js reads
      }
      rust.set(c.dir, t);
    }
    const t = rust.get(c.dir);
    if (t) {
      const e = await t.encode(c.text, pair, { addSpecialTokens: add_special_tokens });
      r.rust = { ids: e.getIds(), offsets: e.getOffsets() };
    }
  }
  out.push(r);
}
process.stdout.write(JSON.stringify(out));
