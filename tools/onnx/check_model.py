#!/usr/bin/python3
"""Validates ONNX files with the official checker, one result line per file.

What: for each MODEL.onnx given, runs onnx.checker.check_model(..., full_check=True)
(the structural checker plus strict, type-checking shape inference) and prints

  ok <path> opset=<v> ir=<v> inputs=<name:type[dims],...> outputs=<name:type[dims],...>
  error <path>: <message on one line>

Dims are numbers, dim_param names (e.g. batch) or ? when unknown; opset is the
default ("" / ai.onnx) domain's version, with other domains added as
domain:version. inputs lists the graph inputs that are not initializers (for IR
version < 4 files, where every weight is also a graph input, these are the
real feeds). The exit status is 1 if any file failed, else 0.

Why: the TypeScript tests run this on the models alexnet-ts's exporter writes,
to confirm they are valid ONNX by the reference implementation's rules, and
parse the ok line to compare opset, IR version and signature.

External data (tensors stored in side files next to the model) is loaded, so
the checker also sees those tensors. Protobuf cannot hold a message over 2 GB,
so when the model plus its external data exceed that, the file is checked from
its path instead (the checker then reads the file and resolves external data
itself), and only the graph, without external tensors, is loaded for the summary.
Beware: in onnx 1.12, check_model(path, full_check=True) runs
infer_shapes_path(path), whose output path defaults to its input, so it
rewrites the checked file with the inferred value_info. This script never
modifies its inputs: it runs the two halves itself and sends the inferred model
to a temporary folder.

Usage: /usr/bin/python3 tools/onnx/check_model.py MODEL.onnx [MODEL2.onnx ...]
"""
import argparse
import os
import sys
import tempfile

import onnx
from onnx import external_data_helper

TWO_GB = 2**31


def external_data_bytes(model, base_dir):
    """Total size of the external data a model (loaded without it) refers to."""
    total = 0
    for tensor in external_data_helper._get_all_tensors(model):
        if external_data_helper.uses_external_data(tensor):
            info = external_data_helper.ExternalDataInfo(tensor)
            if info.length:
                total += info.length
            else:
                path = os.path.join(base_dir, info.location)
                total += max(os.path.getsize(path) - (info.offset or 0), 0) if os.path.exists(path) else 0
    return total


def full_check_path(path):
    """check_model(path, full_check=True) without its side effect of rewriting path."""
    onnx.checker.check_model(path)  # structural checks, external data resolved next to path
    with tempfile.TemporaryDirectory() as tmp:
        onnx.shape_inference.infer_shapes_path(path, os.path.join(tmp, 'inferred.onnx'),
                                               check_type=True, strict_mode=True)


def describe(values, skip=()):
    """name:type[dims] for each ValueInfo, comma separated, without spaces."""
    parts = []
    for v in values:
        if v.name in skip:
            continue
        t = v.type.tensor_type
        if v.type.HasField('tensor_type'):
            elem = onnx.TensorProto.DataType.Name(t.elem_type).lower()
            if t.HasField('shape'):
                dims = [str(d.dim_value) if d.HasField('dim_value') else (d.dim_param or '?') for d in t.shape.dim]
                parts.append(f'{v.name}:{elem}[{",".join(dims)}]')
            else:
                parts.append(f'{v.name}:{elem}')  # unknown rank
        else:
            parts.append(f'{v.name}:{v.type.WhichOneof("value")}')  # sequence, map, optional...
    return ','.join(parts)


def check(path):
    """Checks one file; returns the ok line, or raises."""
    # First the graph alone: cheap even for huge models, and enough for the summary.
    model = onnx.load(path, load_external_data=False)
    size = os.path.getsize(path) + external_data_bytes(model, os.path.dirname(os.path.abspath(path)))
    if size > TWO_GB:
        full_check_path(path)
    else:
        external_data_helper.load_external_data_for_model(model, os.path.dirname(os.path.abspath(path)))
        onnx.checker.check_model(model, full_check=True)

    opsets = []
    for o in model.opset_import:
        opsets.append(str(o.version) if o.domain in ('', 'ai.onnx') else f'{o.domain}:{o.version}')
    initializers = {t.name for t in model.graph.initializer}
    return (f'ok {path} opset={",".join(opsets)} ir={model.ir_version} '
            f'inputs={describe(model.graph.input, initializers)} outputs={describe(model.graph.output)}')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('models', nargs='+', metavar='MODEL.onnx', help='ONNX files to check')
    args = parser.parse_args()
    failed = False
    for path in args.models:
        try:
            print(check(path), flush=True)
        except Exception as e:  # checker errors, unreadable or non-ONNX files: report and go on
            message = ' '.join(str(e).split()) or type(e).__name__
            print(f'error {path}: {message}', flush=True)
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
