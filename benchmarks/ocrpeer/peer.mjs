// The Node reference of the Document OCR benchmark: @gutenye/ocr-node on
// the same PP-OCRv4 det + rec files as ppocr-page. Usage:
//   node peer.mjs MODEL_DIR PAGE...
// prints one JSON line per page, {"input", "lines": [{"text", "box"}]},
// then {"load_ms", "pages_ms"}: model loading and reading the pages
// (one after another, as the library's API reads them).
import path from 'node:path'
import Ocr from '@gutenye/ocr-node'

const [modelDir, ...pages] = process.argv.slice(2)
const t0 = performance.now()
const ocr = await Ocr.create({
  models: {
    detectionPath: path.join(modelDir, 'ch_PP-OCRv4_det_infer.onnx'),
    recognitionPath: path.join(modelDir, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionaryPath: path.join(modelDir, 'ppocr_keys_v1.txt'),
  },
})
const t1 = performance.now()
const out = []
for (const page of pages) {
  const lines = await ocr.detect(page)
  out.push({
    input: page,
    lines: lines.map((l) => {
      const xs = (l.box ?? []).map((p) => p[0])
      const ys = (l.box ?? []).map((p) => p[1])
      return { text: l.text, box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] }
    }),
  })
}
const t2 = performance.now()
for (const o of out) console.log(JSON.stringify(o))
console.log(JSON.stringify({ load_ms: t1 - t0, pages_ms: t2 - t1 }))
