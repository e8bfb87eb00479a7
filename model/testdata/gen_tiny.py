#!/usr/bin/python3
"""Writes the tiny ONNX models the model package's loader and tensor tests
use (run: /usr/bin/python3 model/testdata/gen_tiny.py; needs Debian's
python3-onnx). Their outputs are simple functions of the inputs, so a test
can check them by hand and against ONNX Runtime run directly.

  tiny_classifier.onnx  input_ids, attention_mask, token_type_ids int64
                        [batch, sequence] -> logits float32 [batch, 3] =
                        (sum ids*mask, sum mask, sum token_type_ids)
  tiny_encoder.onnx     input_ids, attention_mask int64 [batch, sequence] ->
                        last_hidden_state float32 [batch, sequence, 2] =
                        (id, mask) per token
  tiny_yolo.onnx        images float32 [1,3,32,32] -> output0 [1,6,4], with
                        Ultralytics' metadata (names, imgsz, stride, task)
  tiny_types.onnx       a tensor model over every dtype served:
                        x f32 [N,3], k i32 [N,3], m bool [N,3], b u8 [N,L],
                        e i8 [N,2], d f64 [N,1], l i64 [N,2] ->
                        y f64 [N,3] = x*k, z i64 [N] = sum k,
                        w bool [N,3] = m and x>0, u u8 [N,L] = b,
                        e2 i8 [N,2] = e+e, d2 f64 [N,1] = d*d, l2 i64 [N,2] = l+l
"""
import os
import onnx
from onnx import TensorProto as T, helper as h

OUT = os.path.dirname(os.path.abspath(__file__))


def save(graph, name, meta=None):
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", 14)], producer_name="batchinfer-gen_tiny")
    m.ir_version = 7
    for k, v in (meta or {}).items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, name))


def io(name, t, shape):
    return h.make_tensor_value_info(name, t, shape)


def classifier():
    seq = ["batch", "sequence"]
    n = [
        h.make_node("Mul", ["input_ids", "attention_mask"], ["im"]),
        h.make_node("ReduceSum", ["im", "axes"], ["s0"], keepdims=1),
        h.make_node("ReduceSum", ["attention_mask", "axes"], ["s1"], keepdims=1),
        h.make_node("ReduceSum", ["token_type_ids", "axes"], ["s2"], keepdims=1),
        h.make_node("Concat", ["s0", "s1", "s2"], ["cat"], axis=1),
        h.make_node("Cast", ["cat"], ["logits"], to=T.FLOAT),
    ]
    g = h.make_graph(n, "tiny_classifier",
                     [io("input_ids", T.INT64, seq), io("attention_mask", T.INT64, seq), io("token_type_ids", T.INT64, seq)],
                     [io("logits", T.FLOAT, ["batch", 3])],
                     initializer=[h.make_tensor("axes", T.INT64, [1], [1])])
    save(g, "tiny_classifier.onnx")


def encoder():
    seq = ["batch", "sequence"]
    n = [
        h.make_node("Unsqueeze", ["input_ids", "axes"], ["a"]),
        h.make_node("Unsqueeze", ["attention_mask", "axes"], ["b"]),
        h.make_node("Concat", ["a", "b"], ["c"], axis=2),
        h.make_node("Cast", ["c"], ["last_hidden_state"], to=T.FLOAT),
    ]
    g = h.make_graph(n, "tiny_encoder",
                     [io("input_ids", T.INT64, seq), io("attention_mask", T.INT64, seq)],
                     [io("last_hidden_state", T.FLOAT, ["batch", "sequence", 2])],
                     initializer=[h.make_tensor("axes", T.INT64, [1], [2])])
    save(g, "tiny_encoder.onnx")


def yolo():
    n = [
        h.make_node("Slice", ["images", "starts", "ends", "axes"], ["s"]),   # [1,3,1,4]
        h.make_node("Reshape", ["s", "shape"], ["r"]),                      # [1,3,4]
        h.make_node("Concat", ["r", "r"], ["output0"], axis=1),             # [1,6,4]
    ]
    g = h.make_graph(n, "tiny_yolo", [io("images", T.FLOAT, [1, 3, 32, 32])], [io("output0", T.FLOAT, [1, 6, 4])],
                     initializer=[h.make_tensor("starts", T.INT64, [2], [0, 0]), h.make_tensor("ends", T.INT64, [2], [1, 4]),
                                  h.make_tensor("axes", T.INT64, [2], [2, 3]), h.make_tensor("shape", T.INT64, [3], [1, 3, 4])])
    save(g, "tiny_yolo.onnx", {
        "description": "Ultralytics YOLOv8n model (tiny stand-in)",
        "author": "Ultralytics",
        "task": "detect",
        "stride": "32",
        "batch": "1",
        "imgsz": "[32, 32]",
        "names": "{0: 'person', 1: \"o'clock\", 2: 'tra\\xefn'}",
    })


def types():
    n = [
        h.make_node("Cast", ["x"], ["xd"], to=T.DOUBLE),
        h.make_node("Cast", ["k"], ["kd"], to=T.DOUBLE),
        h.make_node("Mul", ["xd", "kd"], ["y"]),
        h.make_node("Cast", ["k"], ["kl"], to=T.INT64),
        h.make_node("ReduceSum", ["kl", "axes"], ["z"], keepdims=0),
        h.make_node("Greater", ["x", "zero"], ["pos"]),
        h.make_node("And", ["m", "pos"], ["w"]),
        h.make_node("Identity", ["b"], ["u"]),
        h.make_node("Add", ["e", "e"], ["e2"]),
        h.make_node("Mul", ["d", "d"], ["d2"]),
        h.make_node("Add", ["l", "l"], ["l2"]),
    ]
    g = h.make_graph(n, "tiny_types",
                     [io("x", T.FLOAT, ["N", 3]), io("k", T.INT32, ["N", 3]), io("m", T.BOOL, ["N", 3]),
                      io("b", T.UINT8, ["N", "L"]), io("e", T.INT8, ["N", 2]), io("d", T.DOUBLE, ["N", 1]),
                      io("l", T.INT64, ["N", 2])],
                     [io("y", T.DOUBLE, ["N", 3]), io("z", T.INT64, ["N"]), io("w", T.BOOL, ["N", 3]),
                      io("u", T.UINT8, ["N", "L"]), io("e2", T.INT8, ["N", 2]), io("d2", T.DOUBLE, ["N", 1]),
                      io("l2", T.INT64, ["N", 2])],
                     initializer=[h.make_tensor("axes", T.INT64, [1], [1]), h.make_tensor("zero", T.FLOAT, [], [0.0])])
    save(g, "tiny_types.onnx")


if __name__ == "__main__":
    classifier()
    encoder()
    yolo()
    types()
