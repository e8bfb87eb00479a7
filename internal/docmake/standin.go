package docmake

import (
	"os/exec"
	"testing"
)

// YOLOStandIn writes dir/yolo-standin.onnx: a network with about the
// compute of YOLOv8n at 640 (8 GFLOPs of 3×3 convolutions over strides 8,
// 16 and 32, random weights) and its output, [1, 84, 8400] (boxes, then 80
// class scores through a sigmoid biased so that few candidates pass 0.25),
// with Ultralytics' metadata for 80 classes: a stand-in for timing a
// detector's run against its pre- and postprocessing. No model hub is
// reachable, so no trained weights.
func YOLOStandIn(t testing.TB, dir string) {
	t.Helper()
	cmd := exec.Command(Python, "-c", standInScript, dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make the YOLO stand-in: %v\n%s", err, out)
	}
}

const standInScript = `
import sys, onnx, numpy as np
from onnx import helper as h, TensorProto as T, numpy_helper as nh
rng = np.random.default_rng(3)
nodes, inits = [], []
n = [0]
def conv(x, cin, cout, k=3, s=1, relu=True, scale=None, bias=0.0):
    n[0] += 1; w, b, y = "w%d" % n[0], "b%d" % n[0], "c%d" % n[0]
    std = scale if scale is not None else np.sqrt(2.0 / (cin * k * k))
    inits.append(nh.from_array((rng.standard_normal((cout, cin, k, k)) * std).astype(np.float32), w))
    inits.append(nh.from_array(np.full(cout, bias, np.float32), b))
    nodes.append(h.make_node("Conv", [x, w, b], [y], kernel_shape=[k, k], strides=[s, s], pads=[k // 2] * 4))
    if relu:
        nodes.append(h.make_node("Relu", [y], [y + "r"])); return y + "r"
    return y
def head(x, cin, hw, name):
    box = conv(x, cin, 4, 1, relu=False, scale=0.01)
    cls = conv(x, cin, 80, 1, relu=False, scale=0.05, bias=-1.0)
    nodes.append(h.make_node("Sigmoid", [box], [box + "s"]))
    nodes.append(h.make_node("Mul", [box + "s", "px"], [box + "p"]))
    nodes.append(h.make_node("Sigmoid", [cls], [cls + "s"]))
    nodes.append(h.make_node("Concat", [box + "p", cls + "s"], [name + "c"], axis=1))
    inits.append(nh.from_array(np.array([1, 84, hw], np.int64), name + "shape"))
    nodes.append(h.make_node("Reshape", [name + "c", name + "shape"], [name]))
    return name
inits.append(nh.from_array(np.array(640, np.float32), "px"))
x = conv("images", 3, 32, s=2); x = conv(x, 32, 64, s=2); x = conv(x, 64, 64, s=2)
for _ in range(8): x = conv(x, 64, 64)
p8 = head(x, 64, 6400, "p8")
x = conv(x, 64, 128, s=2)
for _ in range(4): x = conv(x, 128, 128)
p16 = head(x, 128, 1600, "p16")
x = conv(x, 128, 256, s=2)
for _ in range(4): x = conv(x, 256, 256)
p32 = head(x, 256, 400, "p32")
nodes.append(h.make_node("Concat", [p8, p16, p32], ["output0"], axis=2))
g = h.make_graph(nodes, "yolo_standin", [h.make_tensor_value_info("images", T.FLOAT, [1, 3, 640, 640])],
                 [h.make_tensor_value_info("output0", T.FLOAT, [1, 84, 8400])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)], producer_name="batchinfer-test")
m.ir_version = 8
names = "{" + ", ".join("%d: 'class%d'" % (i, i) for i in range(80)) + "}"
for k, v in {"author": "Ultralytics", "task": "detect", "stride": "32", "imgsz": "[640, 640]", "batch": "1", "names": names}.items():
    p = m.metadata_props.add(); p.key = k; p.value = v
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1] + "/yolo-standin.onnx")
`
