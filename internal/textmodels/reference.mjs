// The text-model reference: runs transformers.js (npm @huggingface/transformers,
// the Hugging Face implementation that runs here) on a local model folder and
// prints what its pipelines answer, so Go tests and benchmarks can compare.
//
// Usage: node reference.mjs < request.json
//   {"model": "/abs/folder", "task": "feature-extraction" | "text-classification"
//    | "token-classification" | "tokenize", "options": {...pipeline options},
//    "inputs": ["text" | {"text", "text_pair"}, ...], "batch": 1,
//    "max_length": N (optional: the tokenizer's model_max_length for this run),
//    "repeat": N (optional: run the inputs N times and report the seconds)}
// Prints {"outputs": [one per input], "seconds": S}.
//
// transformers.js looks for onnx/model.onnx; an export with model.onnx at its
// root is shown to it through a folder of symlinks. Local files only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = process.env.BATCHINFER_NODE_MODULES ?? path.join(here, '..', '..', '.cache', 'node', 'node_modules');
const { pipeline, AutoTokenizer, env } = await import(
    pathToFileURL(path.join(nodeModules, '@huggingface', 'transformers', 'dist', 'transformers.node.mjs')).href
);

const req = JSON.parse(fs.readFileSync(0, 'utf8'));
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useBrowserCache = false;
env.useFSCache = false;

// view gives transformers.js a folder it accepts: the model's own files
// symlinked, and onnx/model.onnx pointing at the ONNX file wherever it is.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tjs-ref-'));
env.localModelPath = root + path.sep;
function view(dir, name) {
    const dst = path.join(root, name);
    fs.mkdirSync(path.join(dst, 'onnx'), { recursive: true });
    for (const f of fs.readdirSync(dir)) {
        if (f !== 'onnx') fs.symlinkSync(path.join(dir, f), path.join(dst, f));
    }
    const nested = path.join(dir, 'onnx', 'model.onnx');
    fs.symlinkSync(fs.existsSync(nested) ? nested : path.join(dir, 'model.onnx'), path.join(dst, 'onnx', 'model.onnx'));
}

// One process answers a list of requests (a request or an array of them):
// loading transformers.js and a 11 MB tokenizer.json costs seconds, so tests
// ask everything of a model at once. Pipelines and tokenizers are loaded
// once per model folder.
const views = new Map();
const loaded = new Map();
try {
    const list = Array.isArray(req) ? req : [req];
    const out = [];
    for (const r of list) out.push(await run(r));
    process.stdout.write(JSON.stringify(Array.isArray(req) ? out : out[0]) + '\n');
} finally {
    fs.rmSync(root, { recursive: true, force: true });
}

function modelName(dir) {
    dir = path.resolve(dir);
    if (!views.has(dir)) {
        views.set(dir, 'm' + views.size);
        view(dir, views.get(dir));
    }
    return views.get(dir);
}

async function once(key, load) {
    if (!loaded.has(key)) loaded.set(key, await load());
    return loaded.get(key);
}

async function run(req) {
    const name = modelName(req.model);
    const batch = req.batch ?? 1;
    const inputs = req.inputs.map((x) => (typeof x === 'string' ? { text: x } : x));
    if (req.task === 'tokenize') {
        const tok = await once(req.model + '\0tokenizer', () => AutoTokenizer.from_pretrained(name));
        tok._maxLength0 ??= tok.model_max_length;
        tok._tokenizerConfig.model_max_length = req.max_length || tok._maxLength0;
        return { outputs: inputs.map((x) => tokenize(tok, x)) };
    }
    const pipe = await once(req.model + '\0' + req.task, () => pipeline(req.task, name, { dtype: 'fp32', device: 'cpu' }));
    // model_max_length is a getter over tokenizer_config.json's value.
    pipe._maxLength0 ??= pipe.tokenizer.model_max_length;
    pipe.tokenizer._tokenizerConfig.model_max_length = req.max_length || pipe._maxLength0;
    const opts = req.options ?? {};
    const texts = inputs.map((x) => x.text);
    let outputs = [];
    const start = process.hrtime.bigint();
    for (let r = 0; r < (req.repeat ?? 1); r++) {
        outputs = [];
        for (let i = 0; i < texts.length; i += batch) {
            const chunk = texts.slice(i, i + batch);
            outputs.push(...(await answer(req.task, pipe, chunk, opts)));
        }
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { outputs: req.repeat ? [] : outputs, seconds, count: texts.length * (req.repeat ?? 1) };
}

async function answer(task, pipe, chunk, opts) {
    const res = await pipe(chunk, opts);
    if (task === 'feature-extraction') return res.tolist();
    return res;
}

function tokenize(tok, x) {
    const enc = tok(x.text, { text_pair: x.text_pair ?? null, truncation: true, padding: false });
    const ids = enc.input_ids.tolist()[0].map(Number);
    const o = {
        input_ids: ids,
        attention_mask: enc.attention_mask.tolist()[0].map(Number),
        tokens: ids.map((id) => tok._tokenizer.id_to_token(id)),
        // what token classification shows for each id alone ('' for specials)
        words: ids.map((id) => tok.decode([id], { skip_special_tokens: true })),
    };
    if (enc.token_type_ids) o.token_type_ids = enc.token_type_ids.tolist()[0].map(Number);
    return o;
}
