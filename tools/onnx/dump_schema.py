"""Prints python3-onnx's protobuf descriptors of the messages our schema
declares (src/onnx/schema.ts), as JSON: message → field → number, type,
repeated and the referenced message or enum. test/onnx/schema.test.ts
compares our field numbers and types with these, so a typo in a number
cannot pass unnoticed.

Run: /usr/bin/python3 tools/onnx/dump_schema.py
"""
import json

import onnx
from google.protobuf.descriptor import FieldDescriptor


def describe(descriptor, out):
    fields = {}
    for f in descriptor.fields:
        ref = None
        if f.message_type is not None:
            ref = f.message_type.full_name
        elif f.enum_type is not None:
            ref = f.enum_type.full_name
        fields[f.name] = {
            'number': f.number,
            'type': f.type,
            'repeated': f.label == FieldDescriptor.LABEL_REPEATED,
            'ref': ref,
        }
    out[descriptor.full_name] = fields
    for nested in descriptor.nested_types:
        describe(nested, out)


def main():
    out = {}
    for message in (onnx.ModelProto, onnx.GraphProto, onnx.NodeProto, onnx.AttributeProto, onnx.TensorProto,
                    onnx.ValueInfoProto, onnx.TypeProto, onnx.TensorShapeProto, onnx.OperatorSetIdProto,
                    onnx.StringStringEntryProto):
        describe(message.DESCRIPTOR, out)
    enums = {}
    for enum in (onnx.AttributeProto.DESCRIPTOR.enum_types_by_name['AttributeType'],
                 onnx.TensorProto.DESCRIPTOR.enum_types_by_name['DataType'],
                 onnx.TensorProto.DESCRIPTOR.enum_types_by_name['DataLocation']):
        enums[enum.full_name] = {v.name: v.number for v in enum.values}
    print(json.dumps({'messages': out, 'enums': enums}, indent=1, sort_keys=True))


if __name__ == '__main__':
    main()
