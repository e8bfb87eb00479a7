#!/usr/bin/python3
"""Makes the project's text test models: small BERT-shaped ONNX encoders with
fixed (seeded) weights, each in the folder layout a Hugging Face / Optimum
export has (model.onnx or onnx/model.onnx, config.json, tokenizer.json,
tokenizer_config.json, special_tokens_map.json, 1_Pooling/config.json for a
sentence-transformers one), over the real tokenizer.json files setup puts in
.cache/tokenizers/ (no model hub is reachable here, so no pretrained text
model exists: these weights are random but fixed, and the computation is a
real encoder layer, so a runner that pads or masks wrongly gets different
answers).

Usage: gen.py TOKENIZERS_DIR OUT_DIR   (writes OUT_DIR/NAME/ per model)

Runs under Debian's /usr/bin/python3 with python3-onnx (1.12) and its numpy;
the output is byte-stable for those versions (numpy's legacy RandomState
stream is frozen), so setup checks it against tools/checksums.sha256.
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # LayerNormalization
HIDDEN = 32  # defaults; a model's spec may say hidden, ffn, layers
FFN = 64

NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]

# name: tokenizer, config model_type/architecture, head, extras.
MODELS = {
    # sentence-transformers style: bare encoder, mean pooling in 1_Pooling.
    "minilm-embed": dict(tok="minilm", model_type="bert", arch="BertModel", head="base",
                         pooling="mean", seed=1),
    # already pooled: outputs token_embeddings and sentence_embedding; the
    # ONNX file at onnx/model.onnx as Hugging Face repos lay it out.
    "minilm-pooled": dict(tok="minilm", model_type="bert", arch="BertModel", head="pooled",
                          onnx_dir=True, seed=2),
    "minilm-sentiment": dict(tok="minilm", model_type="bert", arch="BertForSequenceClassification",
                             head="seqcls", labels=["NEGATIVE", "NEUTRAL", "POSITIVE"], seed=3),
    "minilm-ner": dict(tok="minilm", model_type="bert", arch="BertForTokenClassification",
                       head="tokcls", labels=NER_LABELS, o_bias=6.0, seed=4),
    # RoBERTa-style: positions from the mask, offset by pad_token_id + 1 = 2;
    # byte-level BPE (Qwen3) tokens; several labels may hold at once.
    "qwen3-topics": dict(tok="qwen3", model_type="roberta", arch="RobertaForSequenceClassification",
                         head="seqcls", labels=["billing", "shipping", "returns", "technical", "praise"],
                         multi_label=True, roberta=True, max_pos=130, seed=5),
    # last-token pooling, as Qwen3-Embedding does; no token_type_ids.
    "qwen3-embed": dict(tok="qwen3", model_type="distilbert", arch="DistilBertModel", head="base",
                        pooling="lasttoken", max_pos=256, seed=6),
    # SentencePiece BPE with byte fallback (Llama 2); DistilBERT inputs.
    "llama2-ner": dict(tok="llama2", model_type="distilbert", arch="DistilBertForTokenClassification",
                       head="tokcls", labels=NER_LABELS, o_bias=6.0, seed=7),
    # For benchmarks only: all-MiniLM-L6-v2's shape (6 layers, hidden 384,
    # FFN 1536), so ONNX Runtime's share of the time is a real model's.
    "minilm-l6-bench": dict(tok="minilm", model_type="bert", arch="BertModel", head="base",
                            pooling="mean", hidden=384, ffn=1536, layers=6, seed=8),
}


class Graph:
    def __init__(self, rng, hidden):
        self.rng = rng
        self.hidden = hidden
        self.nodes, self.inits = [], []
        self.n = 0

    def name(self, hint):
        self.n += 1
        return f"{hint}_{self.n}"

    def const(self, hint, arr):
        n = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def weight(self, hint, shape, std):
        return self.const(hint, (self.rng.standard_normal(shape) * std).astype(np.float32))

    def op(self, op_type, inputs, hint=None, **attrs):
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def named(self, op_type, inputs, out, **attrs):
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def linear(self, x, n_in, n_out, hint, std=None):
        w = self.weight(hint + "_w", (n_in, n_out), std if std is not None else 1.0 / np.sqrt(n_in))
        b = self.weight(hint + "_b", (n_out,), 0.1)
        return self.op("Add", [self.op("MatMul", [x, w]), b], hint)

    def layer_norm(self, x, hint):
        g = self.const(hint + "_g", (1.0 + 0.1 * self.rng.standard_normal(self.hidden)).astype(np.float32))
        b = self.weight(hint + "_b", (self.hidden,), 0.1)
        return self.op("LayerNormalization", [x, g, b], hint, axis=-1, epsilon=1e-12)


def encoder(g, spec, vocab):
    """Embeddings (word + position [+ token type]), a layer norm, then
    spec's layers (default one) of encoder_layer."""
    HIDDEN = g.hidden
    ids, mask = "input_ids", "attention_mask"
    x = g.op("Gather", [g.weight("word_emb", (vocab, HIDDEN), 1.0), ids])
    max_pos = spec.get("max_pos", 512)
    pos_table = g.weight("pos_emb", (max_pos, HIDDEN), 0.5)
    if spec.get("roberta"):
        # RoBERTa: position = cumsum(mask) * mask + padding_idx (1), so the
        # first real token sits at 2 and padding at 1.
        cs = g.op("CumSum", [mask, g.const("axis1", np.array(1, dtype=np.int64))])
        pos = g.op("Add", [g.op("Mul", [cs, mask]), g.const("pad_idx", np.array(1, dtype=np.int64))])
        pe = g.op("Gather", [pos_table, pos])
    else:
        seq = g.op("Gather", [g.op("Shape", [ids]), g.const("one", np.array(1, dtype=np.int64))], axis=0)
        rng = g.op("Range", [g.const("zero", np.array(0, dtype=np.int64)), seq, g.const("step", np.array(1, dtype=np.int64))])
        pe = g.op("Gather", [pos_table, rng])
    x = g.op("Add", [x, pe])
    if spec["model_type"] == "bert":
        x = g.op("Add", [x, g.op("Gather", [g.weight("type_emb", (2, HIDDEN), 0.5), "token_type_ids"])])
    x = g.layer_norm(x, "emb_ln")

    maskf = g.op("Cast", [mask], to=TensorProto.FLOAT)
    m3 = g.op("Unsqueeze", [maskf, g.const("ax1", np.array([1], dtype=np.int64))])
    bias = g.op("Mul", [g.op("Sub", [g.const("onef", np.array(1.0, dtype=np.float32)), m3]),
                        g.const("neg", np.array(-10000.0, dtype=np.float32))])
    for layer in range(spec.get("layers", 1)):
        x = encoder_layer(g, x, bias, HIDDEN, spec.get("ffn", FFN), f"l{layer}_")
    return x, maskf


def encoder_layer(g, x, bias, hidden, ffn, p):
    """One masked self-attention layer and a GELU feed-forward, each with
    residual + layer norm."""
    q = g.linear(x, hidden, hidden, p + "q")
    k = g.linear(x, hidden, hidden, p + "k")
    v = g.linear(x, hidden, hidden, p + "v")
    scores = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 2, 1])]),
                          g.const("scale", np.array(1.0 / np.sqrt(hidden), dtype=np.float32))])
    probs = g.op("Softmax", [g.op("Add", [scores, bias])], axis=-1)
    att = g.linear(g.op("MatMul", [probs, v]), hidden, hidden, p + "att_out")
    x = g.layer_norm(g.op("Add", [x, att]), p + "att_ln")

    h = g.linear(x, hidden, ffn, p + "ffn_in")
    erf = g.op("Erf", [g.op("Mul", [h, g.const("rsqrt2", np.array(1 / np.sqrt(2), dtype=np.float32))])])
    gelu = g.op("Mul", [g.op("Mul", [h, g.const("half", np.array(0.5, dtype=np.float32))]),
                        g.op("Add", [erf, g.const("onef", np.array(1.0, dtype=np.float32))])])
    f = g.linear(gelu, ffn, hidden, p + "ffn_out")
    return g.layer_norm(g.op("Add", [x, f]), p + "ffn_ln")


def head(g, spec, x, maskf):
    """Returns the graph's outputs as (name, elem shape after batch)."""
    HIDDEN = g.hidden
    kind = spec["head"]
    if kind == "base":
        g.named("Identity", [x], "last_hidden_state")
        return [("last_hidden_state", ["sequence_length", HIDDEN])]
    if kind == "pooled":
        g.named("Identity", [x], "token_embeddings")
        m = g.op("Unsqueeze", [maskf, g.const("ax2", np.array([2], dtype=np.int64))])
        axes = g.const("axes1", np.array([1], dtype=np.int64))
        total = g.op("ReduceSum", [g.op("Mul", [x, m]), axes], keepdims=0)
        count = g.op("Max", [g.op("ReduceSum", [m, axes], keepdims=0), g.const("eps", np.array(1e-9, dtype=np.float32))])
        g.named("Div", [total, count], "sentence_embedding")
        return [("token_embeddings", ["sequence_length", HIDDEN]), ("sentence_embedding", [HIDDEN])]
    n = len(spec["labels"])
    if kind == "seqcls":
        first = g.op("Gather", [x, g.const("zero_i", np.array(0, dtype=np.int64))], axis=1)
        pooled = g.op("Tanh", [g.linear(first, HIDDEN, HIDDEN, "pooler")])
        out = g.linear(pooled, HIDDEN, n, "classifier", std=1.0)
        g.named("Identity", [out], "logits")
        return [("logits", [n])]
    out = g.linear(x, HIDDEN, n, "classifier", std=1.0)
    bias = np.zeros(n, dtype=np.float32)
    bias[0] = spec.get("o_bias", 0.0)  # label 0 is O: most tokens are outside entities
    g.named("Add", [out, g.const("o_bias", bias)], "logits")
    return [("logits", ["sequence_length", n])]


def build(name, spec, vocab):
    g = Graph(np.random.RandomState(spec["seed"]), spec.get("hidden", HIDDEN))
    x, maskf = encoder(g, spec, vocab)
    outs = head(g, spec, x, maskf)
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if spec["model_type"] == "bert" else [])
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch_size", "sequence_length"]) for n in names]
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch_size"] + s) for n, s in outs]
    graph = helper.make_graph(g.nodes, name, inputs, outputs, g.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="batchinfer-textmodels")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def vocab_size(tok):
    v = max(tok["model"]["vocab"].values()) if isinstance(tok["model"]["vocab"], dict) else len(tok["model"]["vocab"]) - 1
    for a in tok.get("added_tokens", []):
        v = max(v, a["id"])
    return v + 1


# tokenizer_config.json / special_tokens_map.json for MiniLM, whose source
# (the Go module) ships only tokenizer.json: the values all-MiniLM-L6-v2's
# own files hold.
MINILM_CONFIG = {
    "clean_up_tokenization_spaces": True, "cls_token": "[CLS]", "do_basic_tokenize": True,
    "do_lower_case": True, "mask_token": "[MASK]", "model_max_length": 512, "never_split": None,
    "pad_token": "[PAD]", "sep_token": "[SEP]", "strip_accents": None, "tokenize_chinese_chars": True,
    "tokenizer_class": "BertTokenizer", "unk_token": "[UNK]",
}
SPECIAL_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token",
                "additional_special_tokens"]


def tokenizer_files(src, tok, dst, spec):
    shutil.copyfile(os.path.join(src, "tokenizer.json"), os.path.join(dst, "tokenizer.json"))
    cfg_path = os.path.join(src, "tokenizer_config.json")
    cfg = json.load(open(cfg_path, encoding="utf-8")) if os.path.exists(cfg_path) else dict(MINILM_CONFIG)
    if spec["tok"] == "llama2" and not cfg.get("pad_token"):
        # Llama 2 has no pad token; classifier exports set one so batches can
        # be padded (the model never sees it: the attention mask hides it).
        cfg["pad_token"] = "</s>"
    write_json(os.path.join(dst, "tokenizer_config.json"), cfg)
    write_json(os.path.join(dst, "special_tokens_map.json"),
               {k: cfg[k] for k in SPECIAL_KEYS if cfg.get(k) not in (None, [])})
    return cfg


def model_config(spec, vocab, cfg):
    c = {
        "architectures": [spec["arch"]], "model_type": spec["model_type"], "hidden_size": spec.get("hidden", HIDDEN),
        "intermediate_size": spec.get("ffn", FFN), "num_attention_heads": 1, "num_hidden_layers": spec.get("layers", 1),
        "max_position_embeddings": spec.get("max_pos", 512), "vocab_size": vocab,
        "layer_norm_eps": 1e-12, "hidden_act": "gelu",
    }
    if spec["model_type"] == "bert":
        c["type_vocab_size"] = 2
    tok_pad = {"minilm": 0, "qwen3": 151643, "llama2": 2}[spec["tok"]]
    c["pad_token_id"] = 1 if spec.get("roberta") else tok_pad
    if "labels" in spec:
        c["id2label"] = {str(i): l for i, l in enumerate(spec["labels"])}
        c["label2id"] = {l: i for i, l in enumerate(spec["labels"])}
        if spec["head"] == "seqcls":
            c["problem_type"] = "multi_label_classification" if spec.get("multi_label") else "single_label_classification"
    return c


def pooling_config(mode, hidden):
    modes = ["cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken"]
    c = {"word_embedding_dimension": hidden}
    for m in modes:
        c["pooling_mode_" + m] = (m == mode or m == mode + "_tokens")
    c["include_prompt"] = True
    return c


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False, sort_keys=True)
        f.write("\n")


def main(tok_dir, out_dir):
    toks = {}
    for name, spec in MODELS.items():
        src = os.path.join(tok_dir, spec["tok"])
        if spec["tok"] not in toks:
            toks[spec["tok"]] = json.load(open(os.path.join(src, "tokenizer.json"), encoding="utf-8"))
        vocab = vocab_size(toks[spec["tok"]])
        dst = os.path.join(out_dir, name)
        shutil.rmtree(dst, ignore_errors=True)
        os.makedirs(dst)
        cfg = tokenizer_files(src, toks[spec["tok"]], dst, spec)
        write_json(os.path.join(dst, "config.json"), model_config(spec, vocab, cfg))
        if spec.get("pooling"):
            os.makedirs(os.path.join(dst, "1_Pooling"))
            write_json(os.path.join(dst, "1_Pooling", "config.json"), pooling_config(spec["pooling"], spec.get("hidden", HIDDEN)))
        path = os.path.join(dst, "onnx", "model.onnx") if spec.get("onnx_dir") else os.path.join(dst, "model.onnx")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        onnx.save(build(name, spec, vocab), path)
        print(f"textmodels: {name} ({spec['tok']}, {spec['arch']}, vocab {vocab}) -> {path}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gen.py TOKENIZERS_DIR OUT_DIR")
    main(sys.argv[1], sys.argv[2])
