"""Rewrite an fp32 ONNX encoder into int8 arithmetic that scores each sentence alone.

Used by ``training/export_onnx.py --int8``. Why not ONNX Runtime's ``quantize_dynamic``: its
activation scale is one number per tensor, taken over the whole padded batch, so a sentence's
score changed with the sentences batched beside it, and one outlier token set the precision of
all the others (96.2 % label agreement with torch on the v3 test split). Here, for every
MatMul with a weight in the encoder:

- the activation is quantised **per token row** (its own absmax scale, uint8 around 128), so
  rows never share a scale: scores do not depend on the batch;
- the weight is quantised **per output column**, 255 levels stored as uint8 around 128 (not
  int8: see "Saturation" below);
- SmoothQuant (Xiao et al. 2022): activation channels with outliers are divided by a factor
  and the weight rows multiplied by it, the factor ``max|x_j| ** alpha / max|w_j| ** (1 -
  alpha)`` from a calibration pass over training sentences;
- the FFN output MatMul, whose input (after GELU, 1,536 channels) holds the largest outliers,
  is split into ``FFN_GROUPS`` slices of channels, each with its own row scale, summed after.

Label agreement / max probability difference against torch fp32 on the v3 test split (1,241
sentences), one run each, from a one-off script: per-tensor dynamic 96.2 % / 0.45; per-row
98.6 % / 0.18; + SmoothQuant 98.6 % / 0.14; + FFN output in 4 groups 99.4 % / 0.075 (this file;
``export_onnx.py --check`` reproduces it); FFN output left fp32 99.8 % / 0.058 but clearly
slower in the same loop; layer 0 left fp32 (2026-12-03, ``training/int8_variants.py``) 99.19 % / 0.090 and 0.72x the
speed (the mean difference falls, 0.0047 -> 0.0038, the worst sentence does not); 7-bit weights (the usual guard against int16 saturation on CPUs
without VNNI) 98.8 %. Those were int8 weights; they are now uint8 (see "Saturation").

Where the remaining difference comes from (2026-12-03, dev split, 744 sentences, against the fp32
ONNX graph, a one-off script not kept; this file: 99.33 % / 0.075, mean 0.0075, 44 sentences
above 0.03): int8 weights alone (activations left float) 99.60 % / 0.044, mean 0.0037; int8
activations alone 99.33 % / 0.068, mean 0.0063. Leaving one kind of MatMul fp32 in every layer:
Q/K/V 0.056, FFN output 0.061, FFN input 0.064, attention output 0.112 (means 0.0053-0.0068).
So the error is spread over all 36 MatMuls, weights and activations both; no single part to
spare. Also measured there: per-row scales over 192-channel slices of every 384-wide input
(as the FFN output's slices) 99.46 % / 0.058, 96-channel slices 0.066, both slower; a fixed
zero point of 16 for the GELU input (more of the uint8 range for its mostly positive values)
98.66 % / 0.140, worse, since after SmoothQuant some channels' negative tails set the scale.

Speed: the quantiser first ran as nine elementwise nodes per activation (Abs, ReduceMax, Max,
Div, Div, Round, Add, Clip, Cast; ONNX Runtime fuses none of them), about 40 % of the int8
graph's kernel time. It is now Abs, ReduceMax and one per-axis QuantizeLinear over the token
rows (the same numbers: 99.36 % / 0.0747 either way); ``benchmarks/speed.py`` end to end went
from 212 to 263-271 sentences/s in back-to-back runs (2026-12-03).

Saturation (measured 2026-12-03 on an AMD EPYC with AVX2 and no AVX-512 or VNNI, this session's
2-core machine; every number above is from a CPU with VNNI). With int8 weights, ONNX Runtime
multiplies uint8 activations by int8 weights with AVX2's vpmaddubsw, which sums each pair of
products into int16 and saturates (255 x 127 x 2 > 32,767): on the test split that graph agreed
with torch on only 98.31 % of labels, max probability difference 0.158, mean 0.0095, while its
16 load-time check sentences differed by 0.041 at most and passed. Weights stored as uint8
around 128 (the same 255 levels: mathematically the same graph) take ONNX Runtime's uint8 x
uint8 kernel, which widens to int16 before multiplying: 99.44 % / 0.093 / 0.0046 there. 7-bit
weights, the usual guard, 98.63 % / 0.137 (precision lost). Speed of the graph alone on that
CPU, same run (``int8_variants.speed``, best of 3): fp32 164, int8 weights 222, uint8 weights
183 sentences/s: uint8 x uint8 gives up most of int8's gain there. On CPUs with VNNI, whose
kernel takes uint8 x int8 directly, uint8 weights are expected to be slower than int8 ones; not
measured (no such CPU in this session).

Both, per CPU (2026-12-04): ONNX Runtime's MLAS (``core/mlas/lib/platform.cpp``) gives uint8 x
int8 its VNNI kernel on CPUs with AVX-512 VNNI or AVX-VNNI, while uint8 x uint8 keeps the
widening AVX2 / AVX-512 kernel there (only AVX-VNNI-INT8 CPUs get a VNNI uint8 x uint8 one). So
``signed_view`` below writes ``model.int8-vnni.onnx``, the same weights seen as int8, with no
weight bytes of its own, and the loader runs it where ``stance.cpu.has_vnni`` says the CPU has
VNNI (after the usual self-check; refused, it falls back to the uint8 graph). It computes what
an int8-weight export of the same calibration computes (``tests/test_int8.py`` compares the two
bit for bit; the int8-weight graph measured above was an earlier calibration, 28 of 10.6 M
weights one step apart); on this AVX2 machine it saturates as that graph did (check sentences
0.019 at most, 0.0019 mean: refused).

Not worth it (2026-12-04, a one-off script not kept): re-scoring with the fp32 graph the sentences
whose int8 probabilities are uncertain. On the test and dev splits (1,985 sentences; 106 differ
from fp32 by more than 0.03), bringing the largest difference under 0.03 needed every sentence
whose top int8 probability is under 0.8 re-scored: 33 % of them (under 0.7, 20 %, left 0.049),
which costs more than the int8 graph saves.

Finer blocks in ONNX Runtime's MatMulNBits (2026-12-06, VNNI machine, a one-off script not kept;
dev split, graph alone, one run with this file's graph and the fp32 graph): 8-bit, block 16, int8
compute, with or without layer 0 fp32: max difference 0.035 (block 32: 0.052, layer 0 fp32 0.039),
but 0.78-0.80x this file's speed there, below the fp32 graph's 0.86x. On a VNNI CPU the fp32 graph is
then the faster way to parity.

Quantisation-aware fine-tuning (2026-12-06, ``training/qat.py``: the model trained to give the
same logits through this file's arithmetic, fake-quantised in torch): dev split max difference
0.082 -> 0.063 at best, mean 0.0049 -> 0.0038, at some cost in accuracy (dev real-article
macro-F1 0.649 -> 0.637). Not shipped; the runs are in that file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import numpy as np

# SmoothQuant's migration strength: 0.5 splits the outlier range evenly between activation and
# weight (0.7 and, for the FFN output, 0.75 and 0.9 measured no better).
ALPHA = 0.5
# Channel slices of the FFN output MatMul, each with its own per-row scale (8 slices: same
# agreement within noise, slower).
FFN_GROUPS = 4
# Encoder layers left in fp32: none, since keeping layer 0 fp32 did not lower the largest
# difference (module docstring).
FP32_LAYERS: tuple[int, ...] = ()
_QMAX = 127.0


def in_layers(node_name: str, layers: Iterable[int]) -> bool:
    """Whether an exported node belongs to one of these encoder layers (``/bert/encoder/layer.0/...``)."""
    return any(f"layer.{k}/" in node_name for k in layers)


def encoder_matmuls(graph, skip_layers: Iterable[int] = ()) -> list:
    """The MatMul nodes whose second input is a weight, inside the encoder layers (but not
    those of ``skip_layers``)."""
    inits = {i.name for i in graph.initializer}
    return [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in inits and "layer." in n.name
            and not in_layers(n.name, skip_layers)]


def calibrate(fp32_path: str, batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-channel absmax of every encoder MatMul input over real (unpadded) tokens."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(fp32_path)
    names = sorted({n.input[0] for n in encoder_matmuls(model.graph)})
    for x in names:
        model.graph.output.append(onnx.helper.make_tensor_value_info(x, onnx.TensorProto.FLOAT, None))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    peak: dict[str, np.ndarray] = {}
    for ids, mask in batches:
        keep = mask.astype(bool)
        for x, out in zip(names, sess.run(names, {"input_ids": ids, "attention_mask": mask})):
            m = np.abs(out[keep]).max(0)
            peak[x] = np.maximum(peak[x], m) if x in peak else m
    return peak


class _Builder:
    """Collects the new nodes and initialisers of the rewritten graph."""

    def __init__(self, unsigned_weights: bool = True):
        from onnx import helper, numpy_helper

        self.unsigned_weights = unsigned_weights
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list = []
        self.inits: list = []
        self.const = {
            "one": self.add_const("q_one", np.array(1.0, np.float32)),
            "eps": self.add_const("q_eps", np.array(1e-8, np.float32)),
            "inv_qmax": self.add_const("q_inv_qmax", np.array(1.0 / _QMAX, np.float32)),
            "zp": self.add_const("q_zp", np.array(128, np.uint8)),
            "flat": self.add_const("q_flat", np.array([-1], np.int64)),
        }

    def add_const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(self.numpy_helper.from_array(value, name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        domain = "com.microsoft" if op == "MatMulIntegerToFloat" else ""
        self.nodes.append(self.helper.make_node(op, inputs, [output], domain=domain, **attrs))
        return output

    def quantise_rows(self, x: str, p: str, width: int, groups: int = 1) -> tuple[str, str]:
        """x [batch, tokens, groups * width] -> (uint8 x around 128, same shape; its scales,
        [batch, tokens, 1] or [batch, tokens, groups, 1]): each token row, or each of its
        ``groups`` slices of ``width`` channels, scaled by its own absmax.

        One QuantizeLinear over the rows flattened to one axis (per-axis scales) does the
        divide, round, shift and cast in one pass; the absmax keeps |x / scale| <= 127, so
        nothing saturates and the result is Round(x / scale) + 128.
        """
        c = self.const
        shaped = x if groups == 1 else self.node(
            "Reshape", [x, self.add_const(p + "_gshape", np.array([0, 0, groups, width], np.int64))], p + "_groups")
        amax = self.node("ReduceMax", [self.node("Abs", [shaped], p + "_abs")], p + "_amax", axes=[-1], keepdims=1)
        scale = self.node("Mul", [self.node("Max", [amax, c["eps"]], p + "_amax_eps"), c["inv_qmax"]], p + "_scale")
        flat_scale = self.node("Reshape", [scale, c["flat"]], p + "_scale_flat")
        rows = self.node("Reshape", [x, self.add_const(p + "_rshape", np.array([-1, width], np.int64))], p + "_rows")
        zp = self.node("Expand", [c["zp"], self.node("Shape", [flat_scale], p + "_nrows")], p + "_zps")
        q = self.node("QuantizeLinear", [rows, flat_scale, zp], p + "_qrows", axis=0)
        return self.node("Reshape", [q, self.node("Shape", [x], p + "_shape")], p + "_q"), scale

    def int_matmul(self, xq: str, scale: str, w: np.ndarray, p: str, out: str) -> str:
        """(dequantised) xq @ w, with w quantised per output column (uint8 around 128, or int8)."""
        w_scale = np.maximum(np.abs(w).max(0), 1e-12) / _QMAX
        wq = np.clip(np.round(w / w_scale), -_QMAX, _QMAX)
        zp = self.const["zp"]
        if self.unsigned_weights:
            # uint8 around 128, not int8: a uint8 x int8 product is summed in pairs into int16 on
            # CPUs without VNNI (AVX2's vpmaddubsw) and saturates; uint8 x uint8 is widened first.
            wq, zps = (wq + 128).astype(np.uint8), [zp, zp]  # activation and weight zero points
        else:
            wq, zps = wq.astype(np.int8), [zp]
        y = self.node("MatMulIntegerToFloat", [xq, self.add_const(p + "_wq", wq), self.const["one"],
                                               self.add_const(p + "_ws", w_scale.astype(np.float32)), *zps], p + "_y")
        return self.node("Mul", [y, scale], out)


def smoothing_factor(x_peak: np.ndarray, w_peak: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """SmoothQuant's per-channel factor: the activation is divided by it, the weight rows multiplied."""
    return (np.maximum(x_peak, 1e-5) ** alpha / np.maximum(w_peak, 1e-5) ** (1 - alpha)).astype(np.float32)


def quantise(model, peak: dict[str, np.ndarray], *, alpha: float = ALPHA, ffn_groups: int = FFN_GROUPS,
             fp32_layers: Iterable[int] = FP32_LAYERS, unsigned_weights: bool = True) -> int:
    """Rewrite ``model`` (an onnx ModelProto, in place); returns how many MatMuls became int8.
    The MatMuls of ``fp32_layers`` stay fp32; ``unsigned_weights=False`` stores int8 weights
    (faster with VNNI, saturates without it: module docstring)."""
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {i.name: numpy_helper.to_array(i).astype(np.float32) for i in graph.initializer}
    targets = {n.name for n in encoder_matmuls(graph, fp32_layers)}
    smooth: dict[str, np.ndarray] = {}
    for x in {n.input[0] for n in graph.node if n.name in targets}:
        # One factor per activation, shared by its consumers (Q, K and V read the same input).
        w_peak = np.max([np.abs(weights[n.input[1]]).max(1) for n in graph.node
                         if n.name in targets and n.input[0] == x], axis=0)
        smooth[x] = smoothing_factor(peak[x], w_peak, alpha)
    b = _Builder(unsigned_weights)
    shared: dict[str, tuple[str, str]] = {}
    for node in graph.node:
        if node.name not in targets:
            b.nodes.append(node)
            continue
        x, p = node.input[0], node.name.strip("/").replace("/", "_")
        w = weights[node.input[1]] * smooth[x][:, None]
        if "intermediate" in x and ffn_groups > 1:  # the FFN output: GELU activations
            xs = b.node("Mul", [x, b.add_const(p + "_smooth", 1.0 / smooth[x])], p + "_xs")
            k = w.shape[0] // ffn_groups
            q, scale = b.quantise_rows(xs, p, k, ffn_groups)
            qs = [f"{p}_q{g}" for g in range(ffn_groups)]
            b.nodes.append(helper.make_node("Split", [q, b.add_const(p + "_split", np.full(ffn_groups, k, np.int64))],
                                            qs, axis=-1))
            ss = [f"{p}_s{g}" for g in range(ffn_groups)]  # [batch, tokens, groups, 1] -> groups x [.., .., 1]
            scale = b.node("Reshape", [scale, b.add_const(p + "_sshape", np.array([0, 0, -1], np.int64))], p + "_s")
            b.nodes.append(helper.make_node("Split", [scale, b.add_const(p + "_ssplit", np.ones(ffn_groups, np.int64))],
                                            ss, axis=-1))
            outs = [b.int_matmul(qs[g], ss[g], w[g * k:(g + 1) * k], f"{p}_part{g}", f"{p}_part{g}_out")
                    for g in range(ffn_groups)]
            b.node("Sum", outs, node.output[0])
            continue
        if x not in shared:
            xs = b.node("Mul", [x, b.add_const(p + "_smooth", 1.0 / smooth[x])], p + "_xs")
            shared[x] = b.quantise_rows(xs, p, w.shape[0])
        b.int_matmul(*shared[x], w, p, node.output[0])
    used = {i for n in b.nodes for i in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    graph.ClearField("node")
    graph.node.extend(b.nodes)
    graph.ClearField("initializer")
    graph.initializer.extend(kept + b.inits)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return len(targets)


def encode_batches(encode: Callable[[list[str]], tuple[np.ndarray, np.ndarray]], texts: list[str],
                   size: int = 32) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """Tokenised batches of ``texts`` for :func:`calibrate`."""
    for i in range(0, len(texts), size):
        yield encode(texts[i:i + size])


def signed_view(int8_path: Path, out_path: Path, min_size: int = 1024) -> dict:
    """Write the int8-weight twin of a uint8-weight graph (for CPUs with VNNI) that stores no weights.

    Every MatMul weight, and every other initializer of ``min_size`` elements or more (the
    embeddings), is read from ``int8_path`` itself: ONNX
    external data, located at the byte offset of its ``raw_data`` inside that file, so the twin
    is a few hundred KB and the repository holds each weight once. Each MatMul weight (uint8
    around 128) goes through Cast(int32) - 128 -> Cast(int8), which ONNX Runtime folds into an
    int8 initializer when the session is made (about 0.3 s more load on the AVX2 machine), and its
    zero point becomes int8 0: the same integers, taken by the uint8 x int8 (VNNI) kernel.
    Returns the metadata the loader checks: the file, and the size and SHA-256 of ``int8_path``
    (offsets into any other file would read garbage).
    """
    import hashlib

    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from stance.model_dir import replacing

    if out_path.resolve().parent != int8_path.resolve().parent:
        raise ValueError(f"{out_path} must sit beside {int8_path}: it reads that file by name")
    blob = int8_path.read_bytes()
    model = onnx.load(str(int8_path))
    graph = model.graph
    mms = [n for n in graph.node if n.op_type == "MatMulIntegerToFloat"]
    inits = {i.name: i for i in graph.initializer}
    again = f"; re-export it with `python training/export_onnx.py {int8_path.parent} --int8`"
    for n in mms:
        # The view subtracts 128 from every weight: only uint8 weights with the scalar zero point 128 qualify.
        zp = inits.get(n.input[5]) if len(n.input) >= 6 else None
        if (n.input[1] not in inits or inits[n.input[1]].data_type != TensorProto.UINT8 or zp is None
                or zp.data_type != TensorProto.UINT8 or numpy_helper.to_array(zp).tolist() != 128):
            raise ValueError(f"{n.name} in {int8_path} has no uint8 weight with zero point 128: "
                             f"not a uint8-weight graph{again}")
    weights = {n.input[1] for n in mms}
    for init in graph.initializer:
        if init.name not in weights and int(np.prod(init.dims)) < min_size:
            continue  # scales, biases, shapes: copied (a few KB)
        raw = init.raw_data
        # Any place these bytes occur holds the same values, so the first one will do.
        at = blob.find(raw) if raw else -1
        if at < 0:
            raise ValueError(f"initializer {init.name} of {int8_path} has no raw bytes to point at{again}")
        init.ClearField("raw_data")
        init.data_location = TensorProto.EXTERNAL
        for key, value in (("location", int8_path.name), ("offset", str(at)), ("length", str(len(raw)))):
            entry = init.external_data.add()
            entry.key, entry.value = key, value
    graph.initializer.extend([numpy_helper.from_array(np.array(128, np.int32), "w_u8_offset"),
                              numpy_helper.from_array(np.array(0, np.int8), "w_s8_zp")])
    casts = []
    for w in sorted(weights):
        casts += [helper.make_node("Cast", [w], [w + "_i32"], to=TensorProto.INT32, name=w + "_widen"),
                  helper.make_node("Sub", [w + "_i32", "w_u8_offset"], [w + "_s32"], name=w + "_centre"),
                  helper.make_node("Cast", [w + "_s32"], [w + "_s8"], to=TensorProto.INT8, name=w + "_narrow")]
    for n in mms:
        n.input[1], n.input[5] = n.input[1] + "_s8", "w_s8_zp"
    nodes = casts + list(graph.node)
    graph.ClearField("node")
    graph.node.extend(nodes)
    with replacing(out_path) as tmp:  # the view names its host by file name, not by path
        onnx.save(model, str(tmp))
    return {"file": out_path.name, "weights": "int8 (a view of the uint8 weights)", "of": int8_path.name,
            "of_bytes": len(blob), "of_sha256": hashlib.sha256(blob).hexdigest()}
