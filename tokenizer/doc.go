// Package tokenizer reads a Hugging Face tokenizer.json (with its
// tokenizer_config.json) and encodes text into the ids, attention mask,
// token type ids, token strings and offsets a text model takes. Pure Go.
//
// The reference is transformers.js 4.3.1 (@huggingface/tokenizers 0.2.0):
// ids, masks, type ids and token strings are those its AutoTokenizer gives
// (`tokenizer(text, {text_pair, truncation: true})`). transformers.js gives
// no offsets; ours are those of the Rust library: [start, end) in code
// points of the original text (its Python and Node bindings report code
// points too), through every normalization (a lowercased, decomposed or
// accent-stripped character keeps its span; a byte-level token inside a
// multi-byte character covers that character; special tokens added by the
// post-processor are [0, 0]; ByteLevel and RobertaProcessing trim_offsets
// leave spaces out as the Rust library does).
//
// Usage:
//
//	tok, err := tokenizer.Load(dir) // dir/tokenizer.json (+ tokenizer_config.json)
//	enc, err := tok.Encode(text, pair, tokenizer.Options{})
//	enc.IDs, enc.AttentionMask, enc.TypeIDs, enc.Tokens, enc.Offsets, enc.Truncated
//	encs, errs := tok.EncodeBatch(inputs, opts) // raw bytes, over the CPUs; errs[i] per input
//	tok.Info() // max length, pad id, whether type ids are returned, ...
//	dec, err := tok.Decoder() // tokenizer.json's decoder: dec.Tokens(enc.Tokens[i:j]) is their text
//
// Supported: models WordPiece, BPE (byte-level and SentencePiece-style with
// byte fallback), Unigram; normalizers BertNormalizer, NFC/NFD/NFKC/NFKD,
// Lowercase, StripAccents, Strip, Replace, Prepend, Precompiled (as
// transformers.js approximates it), Sequence; pre-tokenizers
// BertPreTokenizer, ByteLevel, Split, Metaspace, Whitespace,
// WhitespaceSplit, Punctuation, Digits, Replace, Sequence; post-processors
// TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing,
// Sequence; added tokens with lstrip/rstrip/normalized; decoders
// WordPiece, ByteLevel, Metaspace, BPEDecoder, Replace (string patterns),
// Fuse, Strip, ByteFallback, Sequence, then clean_up_tokenization_spaces.
//
// Where transformers.js differs from the Rust library we follow
// transformers.js:
//   - truncation cuts the end of the post-processed sequence (a truncated
//     BERT input has no final [SEP]); the Rust library truncates the texts
//     (longest first for pairs) and keeps the special tokens;
//   - tokenizer.json's own truncation and padding sections are ignored; the
//     limit is tokenizer_config.json's model_max_length (see Info);
//   - token_type_ids are returned only for BERT-like tokenizer classes
//     (Info.ReturnsTypeIDs);
//   - added tokens match anywhere (single_word is ignored);
//   - Lowercase and BertNormalizer lowercase as JavaScript does: a final
//     capital sigma becomes ς (the Rust library gives σ) and İ becomes i̇;
//   - BertNormalizer pads only BMP CJK ideographs with spaces (it tests
//     UTF-16 code units), removes U+FEFF as a format character and treats
//     JavaScript's \s as whitespace; BertPreTokenizer splits on
//     JavaScript's \s;
//   - Metaspace does not split on the replacement character: a section is
//     one word for the model;
//   - Split's behaviors other than "removed" all isolate the matches;
//   - the ByteLevel post-processor on its own drops the pair's tokens;
//   - Whitespace and Digits use ASCII \w and \d.
//
// The test runs transformers.js under node (testdata/reference.mjs) and
// compares ids, masks, type ids and tokens exactly, on the real MiniLM
// (WordPiece), Qwen3 (byte-level BPE) and Llama 2 (SentencePiece BPE, byte
// fallback) files, and on configurations derived from them for the parts
// they do not use (variants_test.go), a Unigram model among them: no real
// Unigram tokenizer.json is available here. Offsets are compared with the
// Rust library (npm tokenizers) wherever its ids equal ours. Over the test
// corpus, ids differ from the Rust library's only for the final sigma,
// extension-B ideographs and Qwen3 pairs (above).
//
// Offsets are code points because the Python pipelines' start/end are
// Python string indices (code points); transformers.js's token-classification
// pipeline reports none. A job's start/end should use them as they are.
package tokenizer
