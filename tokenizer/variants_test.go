package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The components the three real files do not use, checked against
// transformers.js on configurations derived from those files: their real
// vocabularies and merges with other normalizers, pre-tokenizers,
// post-processors and added tokens, and a Unigram model over Llama 2's
// pieces (no real Unigram tokenizer.json is available here).
var variants = []struct {
	name, base string
	config     string // tokenizer_config.json
	edit       func(j map[string]any)
}{
	{"bert-parts", "minilm", `{"tokenizer_class": "BertTokenizer", "model_max_length": 64}`, func(j map[string]any) {
		j["normalizer"] = seq("normalizers",
			obj("type", "NFKD"), obj("type", "Lowercase"), obj("type", "StripAccents"),
			obj("type", "Replace", "pattern", obj("Regex", `\d{3,}`), "content", "0"),
			obj("type", "Strip", "strip_left", true, "strip_right", true))
		j["pre_tokenizer"] = seq("pretokenizers", obj("type", "Whitespace"), obj("type", "Digits", "individual_digits", true))
		j["post_processor"] = obj("type", "BertProcessing", "sep", []any{"[SEP]", 102}, "cls", []any{"[CLS]", 101})
		addTokens(j, obj("id", 1, "content", "[unused0]", "special", false, "normalized", true),
			obj("id", 2, "content", "<mask>", "special", true, "lstrip", true, "rstrip", true, "normalized", false))
	}},
	{"bert-cased", "minilm", `{"tokenizer_class": "DistilBertTokenizer", "model_max_length": 512}`, func(j map[string]any) {
		j["normalizer"] = obj("type", "BertNormalizer", "clean_text", true, "handle_chinese_chars", false, "strip_accents", true, "lowercase", false)
	}},
	{"bert-keep-accents", "minilm", `{"tokenizer_class": "BertTokenizer"}`, func(j map[string]any) {
		j["normalizer"] = obj("type", "BertNormalizer", "clean_text", false, "handle_chinese_chars", true, "strip_accents", false, "lowercase", true)
	}},
	{"roberta-like", "qwen3", `{"tokenizer_class": "RobertaTokenizer", "model_max_length": 48}`, func(j map[string]any) {
		j["normalizer"] = nil
		j["pre_tokenizer"] = obj("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true, "use_regex", true)
		j["post_processor"] = obj("type", "RobertaProcessing", "sep", []any{"<|im_end|>", 151645}, "cls", []any{"<|im_start|>", 151644},
			"trim_offsets", true, "add_prefix_space", true)
		addTokens(j, obj("id", 151669, "content", "<mask>", "special", true, "lstrip", true, "normalized", false))
	}},
	{"split-parts", "llama2", `{"tokenizer_class": "PreTrainedTokenizer"}`, func(j map[string]any) {
		j["normalizer"] = seq("normalizers", obj("type", "NFKC"), obj("type", "Prepend", "prepend", "> "),
			obj("type", "Replace", "pattern", obj("String", "  "), "content", " "))
		j["pre_tokenizer"] = seq("pretokenizers",
			obj("type", "Split", "pattern", obj("String", ","), "behavior", "Isolated", "invert", false),
			obj("type", "Split", "pattern", obj("Regex", `\s+`), "behavior", "Removed", "invert", false),
			obj("type", "Punctuation", "behavior", "Isolated"),
			obj("type", "Split", "pattern", obj("Regex", `(?i:the|and)|[^\s]+`), "behavior", "Isolated", "invert", true),
			// Llama 3's and GPT-4o's patterns (\p{N}{1,3}, case classes, (?i:...)?)
			obj("type", "Split", "pattern", obj("Regex", llama3Pattern), "behavior", "Isolated", "invert", false),
			obj("type", "Split", "pattern", obj("Regex", gpt4oPattern), "behavior", "Isolated", "invert", false))
		j["post_processor"] = seq("processors", obj("type", "ByteLevel", "trim_offsets", false),
			obj("type", "TemplateProcessing",
				"single", []any{obj("SpecialToken", obj("id", "<s>", "type_id", 0)), obj("Sequence", obj("id", "A", "type_id", 0))},
				"pair", []any{obj("Sequence", obj("id", "A", "type_id", 0)), obj("SpecialToken", obj("id", "</s>", "type_id", 0)),
					obj("Sequence", obj("id", "B", "type_id", 1))},
				"special_tokens", obj()))
	}},
	{"metaspace", "llama2", `{"tokenizer_class": "LlamaTokenizer", "model_max_length": 40, "pad_token": "<unk>"}`, func(j map[string]any) {
		j["normalizer"] = obj("type", "NFC")
		j["pre_tokenizer"] = obj("type", "Metaspace", "replacement", "▁", "prepend_scheme", "first", "split", true)
		addTokens(j, obj("id", 32000, "content", "<sep>", "special", true, "rstrip", true, "normalized", false),
			obj("id", 32001, "content", "hello", "special", false, "normalized", true))
	}},
	{"unigram", "llama2", `{"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 64}`, func(j map[string]any) {
		xlmrUnigram(j, obj("type", "Metaspace", "replacement", "▁", "prepend_scheme", "always", "split", true))
	}},
	{"unigram-words", "llama2", `{"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 64}`, func(j map[string]any) {
		// words of unknown characters only: transformers.js fuses their
		// unknown tokens across words
		xlmrUnigram(j, obj("type", "Whitespace"))
	}},
}

const (
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	gpt4oPattern  = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// xlmrUnigram makes j an XLM-RoBERTa-style Unigram tokenizer over j's
// vocabulary (deterministic scores: longer and earlier pieces are
// likelier) with the pre-tokenizer pre.
func xlmrUnigram(j map[string]any, pre map[string]any) {
	vocab := j["model"].(map[string]any)["vocab"].(map[string]any)
	pieces := make([]any, len(vocab))
	for tok, id := range vocab {
		i := int(id.(float64))
		pieces[i] = []any{tok, -float64(i)/1000 - 10/float64(len(tok)+1)}
	}
	j["model"] = obj("type", "Unigram", "unk_id", 0, "vocab", pieces, "byte_fallback", false)
	j["normalizer"] = seq("normalizers", obj("type", "Precompiled", "precompiled_charsmap", ""),
		obj("type", "Replace", "pattern", obj("Regex", " {2,}"), "content", " "))
	j["pre_tokenizer"] = pre
	j["post_processor"] = obj("type", "TemplateProcessing",
		"single", []any{obj("SpecialToken", obj("id", "<s>", "type_id", 0)), obj("Sequence", obj("id", "A", "type_id", 0)),
			obj("SpecialToken", obj("id", "</s>", "type_id", 0))},
		"pair", []any{obj("SpecialToken", obj("id", "<s>", "type_id", 0)), obj("Sequence", obj("id", "A", "type_id", 0)),
			obj("SpecialToken", obj("id", "</s>", "type_id", 0)), obj("SpecialToken", obj("id", "</s>", "type_id", 0)),
			obj("Sequence", obj("id", "B", "type_id", 0)), obj("SpecialToken", obj("id", "</s>", "type_id", 0))},
		"special_tokens", obj())
}

func obj(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[0+i].(string)] = kv[i+1]
	}
	return m
}

func seq(field string, items ...map[string]any) map[string]any {
	list := make([]any, len(items))
	for i, it := range items {
		list[i] = it
	}
	return obj("type", "Sequence", field, list)
}

func addTokens(j map[string]any, toks ...map[string]any) {
	list := j["added_tokens"].([]any)
	for _, t := range toks {
		for _, k := range []string{"single_word", "lstrip", "rstrip", "normalized", "special"} {
			if _, ok := t[k]; !ok {
				t[k] = false
			}
		}
		list = append(list, t)
	}
	j["added_tokens"] = list
}

// writeVariants writes each variant's folder: the base file's sections
// as they are, but for those the variant edits (the vocabulary and merges
// are copied as raw JSON, which keeps this fast).
func writeVariants(root string) error {
	bases := map[string]map[string]json.RawMessage{}
	for _, v := range variants {
		base := bases[v.base]
		if base == nil {
			data, err := os.ReadFile(filepath.Join(root, v.base, "tokenizer.json"))
			if err != nil {
				return err
			}
			if err := json.Unmarshal(data, &base); err != nil {
				return err
			}
			bases[v.base] = base
		}
		edit := map[string]any{}
		for _, k := range []string{"normalizer", "pre_tokenizer", "post_processor", "added_tokens"} {
			var x any
			if err := json.Unmarshal(base[k], &x); err != nil {
				return err
			}
			edit[k] = x
		}
		if strings.HasPrefix(v.name, "unigram") { // the only edits that read the model
			var m any
			if err := json.Unmarshal(base["model"], &m); err != nil {
				return err
			}
			edit["model"] = m
		}
		v.edit(edit)
		var out bytes.Buffer
		out.WriteString(`{"truncation": null, "padding": null`)
		for k, raw := range base {
			if k == "truncation" || k == "padding" {
				continue
			}
			if x, ok := edit[k]; ok {
				b, err := json.Marshal(x)
				if err != nil {
					return err
				}
				raw = b
			}
			fmt.Fprintf(&out, ", %q: %s", k, raw)
		}
		out.WriteString("}")
		dir := filepath.Join(root, v.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), out.Bytes(), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(v.config), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func variantCases() []refCase {
	texts := append([]string{
		"Hello <mask> world<mask>, hello again <sep>   spaced <sep>x and THE end",
		"The cat, the hat, and 12345 apples; 3.14159!",
		"[unused0] mixed [UNUSED0] café ﬁne ½",
		"a 😀 😀 😀 😀 😀 b 🧿 🫨 c",
	}, corpus...)
	var cases []refCase
	for _, v := range variants {
		for _, text := range texts {
			cases = append(cases, refCase{Dir: v.name, Text: text})
		}
		cases = append(cases, refCase{Dir: v.name, Text: "What is <mask>?", Pair: "The answer, and more."},
			refCase{Dir: v.name, Text: corpus[15], Pair: corpus[6], MaxLength: 20})
	}
	return cases
}
