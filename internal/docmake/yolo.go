package docmake

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// YOLO writes detector test models into dir, each one .onnx with the
// metadata Ultralytics' exporter writes, whose candidates are fixed boxes
// on a grid and whose scores are read from the input at each box's centre:
// class 0 ("red thing") scores R-G there, class 1 ("green thing") G-R. So
// a red patch in the picture is found where the letterbox put it, and the
// grey padding (R = G) scores nothing.
//
//	v8.onnx     [1, 3, S, S] → [1, 6, N]   names, imgsz, stride, task (v8/v11 layout)
//	v8dyn.onnx  [batch, 3, S, S] → [batch, 6, N], the same with a dynamic batch
//	v5.onnx     [1, 3, S, S] → [1, N, 7]   names and stride only (YOLOv5: objectness |R-G|)
//	nms.onnx    [1, 3, S, S] → [1, N, 6]   x1, y1, x2, y2, score, class (nms=True)
//
// S is size; the grid has boxes of side box every step pixels.
func YOLO(t testing.TB, dir string, size, box, step int) {
	t.Helper()
	if err := MakeYOLO(dir, size, box, step); err != nil {
		t.Fatal(err)
	}
}

// MakeYOLO is YOLO for a program (internal/docmake/gen).
func MakeYOLO(dir string, size, box, step int) error {
	cmd := exec.Command(Python, "-c", yoloScript, dir, itoa(size), itoa(box), itoa(step))
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make YOLO test models (needs python3-onnx): %v\n%s", err, out)
	}
	return nil
}

// NMSGraph writes nms.onnx: ONNX Runtime's own NonMaxSuppression over
// boxes [1, N, 4] (x1, y1, x2, y2) and scores [1, C, N] with the IoU and
// score thresholds as inputs, selecting per class → selected [M, 3].
func NMSGraph(t testing.TB, path string) {
	t.Helper()
	cmd := exec.Command(Python, "-c", nmsScript, path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make the NMS graph: %v\n%s", err, out)
	}
}

func itoa(n int) string {
	b := []byte{}
	for ; n > 0 || len(b) == 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

const yoloScript = `
import sys, onnx, numpy as np
from onnx import helper as h, TensorProto as T, numpy_helper as nh
out, S, B, step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cs = [(x, y) for y in range(step // 2, S, step) for x in range(step // 2, S, step)]
N = len(cs)
cx = np.array([c[0] for c in cs], np.float32); cy = np.array([c[1] for c in cs], np.float32)
ridx = np.array([0 * S * S + y * S + x for x, y in cs], np.int64)
gidx = np.array([1 * S * S + y * S + x for x, y in cs], np.int64)
names = "{0: 'red thing', 1: 'green thing'}"

def model(kind, batch, meta):
    b = batch if batch else 1
    nodes = [
        h.make_node("Flatten", ["images"], ["flat"], axis=1),
        h.make_node("Gather", ["flat", "ridx"], ["r"], axis=1),
        h.make_node("Gather", ["flat", "gidx"], ["g"], axis=1),
        h.make_node("Sub", ["r", "g"], ["rg"]),
        h.make_node("Sub", ["g", "r"], ["gr"]),
        h.make_node("Relu", ["rg"], ["s0"]),
        h.make_node("Relu", ["gr"], ["s1"]),
        h.make_node("Unsqueeze", ["s0", "ax1"], ["s0u"]),
        h.make_node("Unsqueeze", ["s1", "ax1"], ["s1u"]),
        h.make_node("Shape", ["images"], ["ishape"]),
        h.make_node("Slice", ["ishape", "zero", "one"], ["bdim"]),
    ]
    inits = [nh.from_array(ridx, "ridx"), nh.from_array(gidx, "gidx"), nh.from_array(np.array([1], np.int64), "ax1"),
             nh.from_array(np.array([0], np.int64), "zero"), nh.from_array(np.array([1], np.int64), "one")]
    def const_rows(name, rows):  # [k, N] constant → [batch, k, N]
        inits.append(nh.from_array(np.stack(rows).astype(np.float32)[None], name + "_c"))
        nodes.append(h.make_node("Concat", ["bdim", "kn_" + name], ["shape_" + name], axis=0))
        inits.append(nh.from_array(np.array(np.stack(rows).shape, np.int64), "kn_" + name))
        nodes.append(h.make_node("Expand", [name + "_c", "shape_" + name], [name]))
    if kind == "v8":
        const_rows("boxes", [cx, cy, np.full(N, B, np.float32), np.full(N, B, np.float32)])
        nodes.append(h.make_node("Concat", ["boxes", "s0u", "s1u"], ["output0"], axis=1))
        oshape = ["batch" if batch is None else 1, 6, N]
    elif kind == "v5":
        const_rows("boxes", [cx, cy, np.full(N, B, np.float32), np.full(N, B, np.float32)])
        nodes += [h.make_node("Abs", ["rg"], ["obj"]), h.make_node("Unsqueeze", ["obj", "ax1"], ["obju"]),
                  h.make_node("Max", ["obju", "eps"], ["objsafe"]),
                  h.make_node("Div", ["s0u", "objsafe"], ["c0"]), h.make_node("Div", ["s1u", "objsafe"], ["c1"]),
                  h.make_node("Concat", ["boxes", "obju", "c0", "c1"], ["cat"], axis=1),
                  h.make_node("Transpose", ["cat"], ["output0"], perm=[0, 2, 1])]
        inits.append(nh.from_array(np.array(1e-6, np.float32), "eps"))
        oshape = [1, N, 7]
    else:
        const_rows("boxes", [cx - B / 2, cy - B / 2, cx + B / 2, cy + B / 2])
        nodes += [h.make_node("Max", ["s0u", "s1u"], ["score"]), h.make_node("Greater", ["s1u", "s0u"], ["isg"]),
                  h.make_node("Cast", ["isg"], ["cls"], to=T.FLOAT),
                  h.make_node("Concat", ["boxes", "score", "cls"], ["cat"], axis=1),
                  h.make_node("Transpose", ["cat"], ["output0"], perm=[0, 2, 1])]
        oshape = [1, N, 6]
    ishape = ["batch" if batch is None else 1, 3, S, S]
    g = h.make_graph(nodes, "yolo_" + kind, [h.make_tensor_value_info("images", T.FLOAT, ishape)],
                     [h.make_tensor_value_info("output0", T.FLOAT, oshape)], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)], producer_name="batchinfer-test")
    m.ir_version = 8
    for k, v in meta.items():
        p = m.metadata_props.add(); p.key = k; p.value = v
    onnx.checker.check_model(m)
    return m

v8meta = {"description": "Ultralytics YOLO11n model", "author": "Ultralytics", "stride": "32", "task": "detect",
          "batch": "1", "imgsz": "[%d, %d]" % (S, S), "names": names, "args": "{'batch': 1, 'half': False, 'nms': False}"}
onnx.save(model("v8", 1, v8meta), out + "/v8.onnx")
onnx.save(model("v8", None, dict(v8meta, batch="4", args="{'batch': 4, 'dynamic': True}")), out + "/v8dyn.onnx")
onnx.save(model("v5", 1, {"stride": "32", "names": names}), out + "/v5.onnx")
onnx.save(model("nms", 1, dict(v8meta, args="{'batch': 1, 'half': False, 'nms': True}")), out + "/nms.onnx")
`

const nmsScript = `
import sys, onnx
from onnx import helper as h, TensorProto as T
node = h.make_node("NonMaxSuppression", ["boxes", "scores", "max_out", "iou", "score"], ["selected"], center_point_box=0)
g = h.make_graph([node], "nms", [
    h.make_tensor_value_info("boxes", T.FLOAT, [1, "n", 4]),
    h.make_tensor_value_info("scores", T.FLOAT, [1, "c", "n"]),
    h.make_tensor_value_info("max_out", T.INT64, [1]),
    h.make_tensor_value_info("iou", T.FLOAT, [1]),
    h.make_tensor_value_info("score", T.FLOAT, [1])],
    [h.make_tensor_value_info("selected", T.INT64, ["m", 3])])
m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
m.ir_version = 8
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
`
