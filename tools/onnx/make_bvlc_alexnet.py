#!/usr/bin/python3
"""A stand-in for the ONNX model zoo's BVLC AlexNet, built with onnx.helper.

What: writes DIR/bvlc_alexnet.onnx, a graph with the same structure, tensor names,
attributes, opset (9) and IR version (3) as the zoo's bvlc_alexnet model
(Caffe BVLC AlexNet -> Caffe2 -> ONNX), but with seeded random weights, and
DIR/bvlc_input.npy, a seeded float32 input for it.

Why: the real file is 233 MB of trained weights and cannot be downloaded here,
yet the TypeScript ONNX importer must handle exactly its quirks:
  * IR version 3: every initializer is ALSO listed in graph.input;
  * the paper's two-GPU form: conv2, conv4 and conv5 have group=2;
  * LRN nodes (size 5, alpha 1e-4, beta 0.75, bias 1: Caffe's k is 1, not 2);
  * a 224x224 input where Caffe used 227, so pool5 needs pads [0,0,1,1] to
    reach the 6x6 map fc6 expects (conv1 54 -> pool1 26 -> pool2 12 -> pool5 6);
  * flattening by Reshape with a constant int64 initializer (OC2_DUMMY_1 =
    [batch, 9216]) rather than Flatten;
  * Gemm with transB=1 (weights stored [out, in]), opset-9 Dropout nodes that
    are identities at inference, and a final Softmax (axis defaults to 1).
The expected output is deliberately not computed here: the TypeScript tests
run the file through onnxruntime and compare against our own importer.

Weights: numpy.random.default_rng([seed, 0]) draws, in graph order
(conv1_w, conv1_b, conv2_w, ..., fc8_w, fc8_b), weights ~ N(0, std^2) with the
He std sqrt(2 / fan_in) (fan_in = input channels per group x kernel area, or
in_features), so activations stay O(1) through ReLU and LRN (each 3x3/2 max
pool roughly doubles their rms: with seed 0 it is ~1 after conv1 and ~3-4 from
conv3 on); fc8 has no ReLU after it and uses sqrt(1 / fan_in), giving logits of
std ~4, so the softmax is spread out (largest probability ~0.26), not one-hot.
Biases ~ N(0, 0.01^2). The input comes from default_rng([seed, 1]) ~ N(0, 1),
shape [batch, 3, 224, 224], like an ImageNet-normalized image.

Memory: one weight array is converted to a TensorProto at a time, and the
checker and shape inference run on the weightless skeleton graph (legal in IR
3: a graph input needs no initializer) before the weights are attached; the
finished file is checked again from its path. Peak use is about 3x the model
(~0.8 GB).

Usage: /usr/bin/python3 tools/onnx/make_bvlc_alexnet.py --out DIR [--seed S] [--batch N]
"""
import argparse
import os
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

OPSET = 9
IR_VERSION = 3
FLAT = 256 * 6 * 6  # 9216: pool5's [256, 6, 6] map, flattened

# The zoo's parameter names and shapes, in graph order.
CONVS = [
    # name, out_channels, in_channels per group, kernel, stride, pads, group
    ('conv1', 96, 3, 11, 4, [0, 0, 0, 0], 1),
    ('conv2', 256, 48, 5, 1, [2, 2, 2, 2], 2),
    ('conv3', 384, 256, 3, 1, [1, 1, 1, 1], 1),
    ('conv4', 384, 192, 3, 1, [1, 1, 1, 1], 2),
    ('conv5', 256, 192, 3, 1, [1, 1, 1, 1], 2),
]
FCS = [
    # name, out_features, in_features
    ('fc6', 4096, FLAT),
    ('fc7', 4096, 4096),
    ('fc8', 1000, 4096),
]


def build_graph(batch):
    """The nodes, graph inputs (data_0, then every parameter, as IR 3 lists them)
    and output of the zoo's AlexNet. Parameters are declared as inputs here;
    their values are attached as initializers later."""
    nodes = []
    inputs = [helper.make_tensor_value_info('data_0', TensorProto.FLOAT, [batch, 3, 224, 224])]

    def node(op, ins, out, **attrs):
        # The Caffe2 frontend left node names empty; tensors carry the names.
        nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    def param(name, shape, dtype=TensorProto.FLOAT):
        inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        return name

    def conv(x, name, out_ch, in_ch, k, stride, pads, group):
        w = param(f'{name}_w_0', [out_ch, in_ch, k, k])
        b = param(f'{name}_b_0', [out_ch])
        y = node('Conv', [x, w, b], f'{name}_1', dilations=[1, 1], group=group,
                 kernel_shape=[k, k], pads=pads, strides=[stride, stride])
        return node('Relu', [y], f'{name}_2')

    def lrn(x, name):
        return node('LRN', [x], name, size=5, alpha=1e-4, beta=0.75, bias=1.0)

    def maxpool(x, name, pads=(0, 0, 0, 0)):
        return node('MaxPool', [x], name, kernel_shape=[3, 3], pads=list(pads), strides=[2, 2])

    def fc(x, name, out_f, in_f):
        w = param(f'{name}_w_0', [out_f, in_f])
        b = param(f'{name}_b_0', [out_f])
        return node('Gemm', [x, w, b], f'{name}_1', transB=1)

    x = 'data_0'
    x = conv(x, *CONVS[0])
    x = maxpool(lrn(x, 'norm1_1'), 'pool1_1')
    x = conv(x, *CONVS[1])
    x = maxpool(lrn(x, 'norm2_1'), 'pool2_1')
    x = conv(x, *CONVS[2])
    x = conv(x, *CONVS[3])
    x = conv(x, *CONVS[4])
    # Caffe pools with ceil rounding; in ONNX that is an extra row/column of padding.
    x = maxpool(x, 'pool5_1', pads=(0, 0, 1, 1))
    shape = param('OC2_DUMMY_1', [2], TensorProto.INT64)
    x = node('Reshape', [x, shape], 'OC2_DUMMY_0')
    for name, out_f, in_f in FCS[:2]:
        x = node('Relu', [fc(x, name, out_f, in_f)], f'{name}_2')
        # Opset-9 Dropout: only the output (the optional mask is not requested).
        x = node('Dropout', [x], f'{name}_3', ratio=0.5)
    x = fc(x, *FCS[2])
    x = node('Softmax', [x], 'prob_1')  # opset 9: axis defaults to 1

    output = helper.make_tensor_value_info('prob_1', TensorProto.FLOAT, [batch, 1000])
    return nodes, inputs, output


def make_model(nodes, inputs, output, initializers):
    graph = helper.make_graph(nodes, 'bvlc_alexnet', inputs, [output], initializer=initializers)
    model = helper.make_model(graph, producer_name='alexnet-ts tools/onnx/make_bvlc_alexnet.py',
                              opset_imports=[helper.make_opsetid('', OPSET)])
    model.ir_version = IR_VERSION  # make_model writes the newest IR version; the zoo file is IR 3
    return model


def random_weights(rng):
    """Yields (name, float32 array) for every parameter, in graph order, one at a time."""
    for name, out_ch, in_ch, k, *_ in CONVS:
        fan_in = in_ch * k * k
        yield f'{name}_w_0', normal(rng, (out_ch, in_ch, k, k), np.sqrt(2.0 / fan_in))
        yield f'{name}_b_0', normal(rng, (out_ch,), 0.01)
    for name, out_f, in_f in FCS:
        gain = 1.0 if name == 'fc8' else 2.0  # no ReLU after fc8: no factor 2 to make up
        yield f'{name}_w_0', normal(rng, (out_f, in_f), np.sqrt(gain / in_f))
        yield f'{name}_b_0', normal(rng, (out_f,), 0.01)


def normal(rng, shape, std):
    a = rng.standard_normal(shape, dtype=np.float32)  # float32 directly: no float64 copy
    a *= np.float32(std)
    return a


def check_skeleton(nodes, inputs, output, shape_init, batch):
    """Checker plus strict shape inference on the graph without its weights:
    cheap, and it confirms every intermediate shape including prob_1."""
    skeleton = make_model(nodes, inputs, output, [shape_init])
    onnx.checker.check_model(skeleton, full_check=True)
    inferred = shape_inference.infer_shapes(skeleton, check_type=True, strict_mode=True)
    shapes = {vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
              for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    expected = {'conv1_1': [batch, 96, 54, 54], 'pool1_1': [batch, 96, 26, 26],
                'pool2_1': [batch, 256, 12, 12], 'pool5_1': [batch, 256, 6, 6],
                'OC2_DUMMY_0': [batch, FLAT], 'prob_1': [batch, 1000]}
    for name, shape in expected.items():
        if shapes.get(name) != shape:
            raise SystemExit(f'shape inference gave {name} {shapes.get(name)}, expected {shape}')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='output folder (created if missing)')
    parser.add_argument('--seed', type=int, default=0, help='seed for the weights and the input (default 0)')
    parser.add_argument('--batch', type=int, default=1, help='batch size baked into data_0 and OC2_DUMMY_1 (default 1, as in the zoo)')
    args = parser.parse_args()
    if args.batch < 1:
        parser.error('--batch must be at least 1')
    os.makedirs(args.out, exist_ok=True)
    start = time.time()

    nodes, inputs, output = build_graph(args.batch)
    shape_init = numpy_helper.from_array(np.array([args.batch, FLAT], dtype=np.int64), 'OC2_DUMMY_1')
    check_skeleton(nodes, inputs, output, shape_init, args.batch)

    # The zoo lists the weights first and the reshape constant last.
    rng = np.random.default_rng([args.seed, 0])
    initializers = []
    for name, array in random_weights(rng):
        initializers.append(numpy_helper.from_array(array, name))
        del array  # only the TensorProto's bytes are kept
    initializers.append(shape_init)
    model = make_model(nodes, inputs, output, initializers)

    model_path = os.path.join(args.out, 'bvlc_alexnet.onnx')
    onnx.save(model, model_path)
    del model, initializers
    onnx.checker.check_model(model_path)  # the finished file, read by the C++ checker

    x = np.random.default_rng([args.seed, 1]).standard_normal((args.batch, 3, 224, 224), dtype=np.float32)
    input_path = os.path.join(args.out, 'bvlc_input.npy')
    np.save(input_path, x)

    size_mb = os.path.getsize(model_path) / 2**20
    print(f'wrote {model_path} ({size_mb:.1f} MiB, opset {OPSET}, IR {IR_VERSION}, batch {args.batch}) '
          f'and {input_path} in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
