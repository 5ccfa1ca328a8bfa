#!/usr/bin/python3
"""Writes the weight-file fixtures of test/formats into test/fixtures/formats/.

Run with the system Python that has torch 1.13 and numpy:
    /usr/bin/python3 tools/gen_format_fixtures.py

Each file is small (a few KB) and real: .pth files come from torch.save in
both serialization formats, .npy files from numpy, .safetensors files are
written by hand here following the format spec (the safetensors package is
not installed). expected.json holds, for every fixture, either the value a
reader must produce (in the canonical JSON form described in `canonical`) or
the error it must raise.
"""
import collections
import io
import json
import math
import os
import pickle
import struct
import zipfile

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'formats')


def float_value(x):
    """A float32 value as JSON: exact (float32 -> double is exact), or a string for non-finite ones."""
    with np.errstate(over='ignore'):  # float64 beyond float32's range becomes inf, as in torch
        x = float(np.float32(x))
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    return x


def canonical(v):
    """The JSON form shared with test/formats/canonical.ts.

    Tensors become their float32 values (what the TypeScript reader must
    produce after converting any dtype), OrderedDicts and dicts with non-str
    or integer-like keys become {"map": [[k, v], ...]}, other dicts
    {"object": [[k, v], ...]}, lists/tuples/sets JSON arrays, bytes
    {"bytes": [...]}.
    """
    if isinstance(v, torch.Tensor):
        # Straight to float32, as .float() rounds (once): through float64, int64 beyond 2^53 would round twice.
        values = v.detach().to(torch.float32).to(torch.float64).contiguous().reshape(-1).tolist()
        return {'tensor': {'shape': list(v.shape), 'values': [float_value(x) for x in values]}}
    if isinstance(v, np.ndarray):
        return {'tensor': {'shape': list(v.shape), 'values': [float_value(x) for x in v.astype(np.float64).reshape(-1).tolist()]}}
    if isinstance(v, dict):
        entries = [[canonical(k), canonical(x)] for k, x in v.items()]
        as_object = (not isinstance(v, collections.OrderedDict)
                     and all(isinstance(k, str) and not (k.isdigit() and (k == '0' or not k.startswith('0'))) for k in v))
        return {'object' if as_object else 'map': entries}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [canonical(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return {'bytes': list(v)}
    if isinstance(v, torch.device):
        return str(v)
    return v


def save_pth(name, obj, legacy=False, protocol=2):
    path = os.path.join(OUT, name)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)
    return path


def small_state_dict():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3),
        torch.nn.ReLU(),
        torch.nn.BatchNorm2d(4),
        torch.nn.Flatten(),
        torch.nn.Linear(6, 5),
    )
    with torch.no_grad():
        model[2].running_mean.uniform_(-1, 1)
        model[2].running_var.uniform_(0.5, 2)
        model[2].num_batches_tracked.fill_(123)
    return model.state_dict()


def write_zip(name, members):
    """A zip like torch's (entries under archive/, stored) holding hand-made records."""
    path = os.path.join(OUT, name)
    with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_STORED) as z:
        for member, data in members:
            z.writestr('archive/' + member, data)
    return path


def write_safetensors(name, tensors, metadata=None):
    """safetensors by the spec: u64 header length, JSON header padded to 8 bytes, raw data."""
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    data = b''
    for key, (code, array) in tensors.items():
        raw = array.tobytes()
        header[key] = {'dtype': code, 'shape': list(array.shape), 'data_offsets': [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + data)


def bf16_bytes(values):
    """bfloat16 by truncating float32 bits (exact for the values used here)."""
    return (np.asarray(values, dtype=np.float32).view(np.uint32) >> 16).astype('<u2')


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    # ---- .pth: state dicts in both formats -------------------------------------------
    sd = small_state_dict()
    save_pth('zip_state_dict.pth', sd)
    save_pth('legacy_state_dict.pth', sd, legacy=True)
    expected['zip_state_dict.pth'] = {'value': canonical(sd)}
    expected['legacy_state_dict.pth'] = {'value': canonical(sd)}
    # Protocols 4 and 5 put a FRAME opcode before the legacy format's magic number.
    for protocol in (4, 5):
        save_pth('legacy_protocol%d.pth' % protocol, sd, legacy=True, protocol=protocol)
        expected['legacy_protocol%d.pth' % protocol] = {'value': canonical(sd)}

    # ---- a training checkpoint with a nested state dict --------------------------------
    torch.manual_seed(1)
    checkpoint = {
        'epoch': 7,
        'arch': 'alexnet',
        'best_acc1': 0.5625,
        'state_dict': sd,
        'optimizer': {
            'state': {0: {'momentum_buffer': torch.randn(4, 3, 3, 3)}, 1: {'momentum_buffer': torch.randn(4)}},
            'param_groups': [{'lr': 0.01, 'momentum': 0.9, 'weight_decay': 0.0005, 'nesterov': False, 'params': [0, 1]}],
        },
        'betas': (0.9, 0.999),
        'history': [1, 2.5, 'three', None, True],
        'raw': b'\x00\x01\xfe\xff',
        'big': 2 ** 40,
        'negative': -123456,
    }
    save_pth('zip_checkpoint.pth', checkpoint)
    expected['zip_checkpoint.pth'] = {'value': canonical(checkpoint)}
    model_checkpoint = {'model': sd, 'epoch': 3}
    save_pth('legacy_checkpoint_model.pth', model_checkpoint, legacy=True)
    expected['legacy_checkpoint_model.pth'] = {'value': canonical(model_checkpoint)}

    # ---- non-contiguous tensors (saved with their strides, over the whole storage) ----
    x = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8
    strided = collections.OrderedDict([
        ('transposed', x.t()),
        ('sliced', x[:, 1:4]),
        ('stepped', x[::2, ::3]),
        ('expanded', torch.tensor([1.5, -2.0, 3.25]).reshape(3, 1).expand(3, 4)),
        ('permuted', torch.arange(24, dtype=torch.float32).reshape(2, 3, 4).permute(2, 0, 1)),
        ('scalar', torch.tensor(2.5)),
        ('empty', torch.zeros(0, 3)),
    ])
    save_pth('zip_noncontiguous.pth', strided)
    save_pth('legacy_noncontiguous.pth', strided, legacy=True)
    expected['zip_noncontiguous.pth'] = {'value': canonical(strided)}
    expected['legacy_noncontiguous.pth'] = {'value': canonical(strided)}

    # ---- other dtypes, converted to float32 on load ------------------------------------
    special = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08, float('inf'), float('-inf'), float('nan')]
    dtypes = collections.OrderedDict([
        ('float16', torch.tensor(special, dtype=torch.float16)),
        ('bfloat16', torch.tensor([1.0, -3.5, 1e-3, 3.0e38, float('inf')], dtype=torch.bfloat16)),
        ('float64', torch.tensor([[0.1, 1 / 3], [1e-50, 1e300]], dtype=torch.float64)),
        # 2^60 + 2^36 + 1 rounds to the float32 above 2^60 in one step, to 2^60 through float64.
        ('int64', torch.tensor([-(2 ** 40), -1, 0, 7, 2 ** 24 + 1, 2 ** 60 + 2 ** 36 + 1, -(2 ** 60 + 2 ** 36 + 1)], dtype=torch.int64)),
        ('int32', torch.tensor([-(2 ** 31), 5, 2 ** 31 - 1], dtype=torch.int32)),
        ('int16', torch.tensor([-32768, 12, 32767], dtype=torch.int16)),
        ('int8', torch.tensor([-128, 0, 127], dtype=torch.int8)),
        ('uint8', torch.tensor([0, 128, 255], dtype=torch.uint8)),
        ('bool', torch.tensor([True, False, True])),
    ])
    save_pth('zip_dtypes.pth', dtypes)
    save_pth('legacy_dtypes.pth', dtypes, legacy=True)
    expected['zip_dtypes.pth'] = {'value': canonical(dtypes)}
    expected['legacy_dtypes.pth'] = {'value': canonical(dtypes)}

    # ---- shared storage: views with offsets, the same tensor twice ---------------------
    base = torch.arange(10, dtype=torch.float32) * 0.25
    shared = collections.OrderedDict([
        ('base', base),
        ('tail', base[4:]),
        ('matrix', base.view(2, 5)),
        ('same', base),
        ('middle_column', base.view(2, 5)[:, 2]),
    ])
    save_pth('zip_shared.pth', shared)
    save_pth('legacy_shared.pth', shared, legacy=True)
    expected['zip_shared.pth'] = {'value': canonical(shared)}
    expected['legacy_shared.pth'] = {'value': canonical(shared)}

    # ---- parameters saved directly (torch._utils._rebuild_parameter) -------------------
    params = {'weight': torch.nn.Parameter(torch.tensor([[1.0, 2.0]])), 'plain': torch.tensor([3.0])}
    save_pth('zip_parameters.pth', params)
    expected['zip_parameters.pth'] = {'value': canonical(params)}

    # ---- malicious pickles: must be refused by name, running nothing -------------------
    # Hand-made data.pkl: GLOBAL 'os system' then REDUCE ('touch /tmp/pwned',).
    evil = b'\x80\x02cos\nsystem\nq\x00X\x10\x00\x00\x00touch /tmp/pwnedq\x01\x85q\x02Rq\x03.'
    write_zip('malicious_os_system.pth', [('data.pkl', evil), ('version', b'3\n')])
    expected['malicious_os_system.pth'] = {'error': "refusing to load global 'os.system' from "}
    # Protocol 4 STACK_GLOBAL spelling of builtins.eval.
    evil4 = (b'\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x8c\x04eval\x93'
             b'\x8c\x0b__import__()\x85R.')
    write_zip('malicious_stack_global.pth', [('data.pkl', evil4), ('version', b'3\n')])
    expected['malicious_stack_global.pth'] = {'error': "refusing to load global 'builtins.eval' from "}

    # A storage class named after a property every JavaScript object inherits ('constructor').
    proto = (b'\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage'
             b'ctorch\nconstructor\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQK\x00K\x04\x85K\x01\x85\x89'
             b'ccollections\nOrderedDict\n)RtRs.')
    write_zip('malicious_prototype_name.pth', [('data.pkl', proto), ('data/0', b'\x00' * 16), ('version', b'3\n')])
    expected['malicious_prototype_name.pth'] = {'error': "refusing to load global 'torch.constructor' from "}

    # torch.save of an object whose __reduce__ calls os.system (pickled as posix.system), legacy format.
    class Evil:
        def __reduce__(self):
            return (os.system, ('touch /tmp/pwned',))
    save_pth('malicious_legacy.pth', {'state_dict': sd, 'payload': Evil()}, legacy=True)
    expected['malicious_legacy.pth'] = {'error': "refusing to load global '%s.system' from " % os.system.__module__}

    # ---- safetensors ---------------------------------------------------------------------
    st_tensors = collections.OrderedDict([
        ('half_odd', ('F16', np.array([1.5, -0.25, 65504], dtype='<f2'))),  # 6 bytes: the next tensor is unaligned
        ('weight', ('F32', (np.arange(6, dtype='<f4').reshape(2, 3) - 2.5) / 3)),
        ('double', ('F64', np.array([[0.1, -1e-40], [1e300, 2.0]], dtype='<f8'))),
        ('bf16', ('BF16', bf16_bytes([1.0, -3.5, 0.15625]))),
        ('long', ('I64', np.array([-5, 0, 2 ** 33], dtype='<i8'))),
        ('int', ('I32', np.array([-7, 9], dtype='<i4'))),
        ('byte', ('U8', np.array([0, 200, 255], dtype='u1'))),
        ('mask', ('BOOL', np.array([True, False, True]))),
        ('scalar', ('F32', np.array(4.5, dtype='<f4'))),
        ('empty', ('F32', np.zeros((0, 2), dtype='<f4'))),
    ])
    write_safetensors('tensors.safetensors', st_tensors, {'format': 'pt', 'note': 'fixture'})
    st_values = collections.OrderedDict()
    for key, (code, array) in st_tensors.items():
        if code == 'BF16':
            array = (array.astype(np.uint32) << 16).view(np.float32)
        st_values[key] = array
    expected['tensors.safetensors'] = {'value': canonical(st_values), 'metadata': {'format': 'pt', 'note': 'fixture'}}

    # ---- .npy -------------------------------------------------------------------------------
    npys = collections.OrderedDict([
        ('f4.npy', (np.arange(12, dtype='<f4').reshape(3, 4) - 5.5) / 7),
        ('f8.npy', np.array([[1 / 3, -1e-50], [1e300, 0.1]], dtype='<f8')),
        ('f2.npy', np.array([1.0, -0.5, 65504, np.inf, np.nan], dtype='<f2')),
        ('i8.npy', np.array([[-(2 ** 40), 3], [2 ** 24 + 1, 0]], dtype='<i8')),
        ('i4.npy', np.array([-(2 ** 31), 17], dtype='<i4')),
        ('u1.npy', np.array([0, 1, 255], dtype='u1')),
        ('b1.npy', np.array([[True, False], [False, True]])),
        ('big_endian_f4.npy', np.array([1.25, -2.0, 3e-5], dtype='>f4')),
        ('big_endian_i2.npy', np.array([-300, 2], dtype='>i2')),
        ('scalar.npy', np.array(2.75, dtype='<f4')),
        ('vector.npy', np.array([5.0], dtype='<f4')),
        ('empty.npy', np.zeros((0, 3), dtype='<f4')),
    ])
    for name, array in npys.items():
        np.save(os.path.join(OUT, name), array)
        expected[name] = {'value': canonical(array)}
    with open(os.path.join(OUT, 'version2.npy'), 'wb') as f:
        v2 = np.arange(6, dtype='<f4').reshape(2, 3)
        np.lib.format.write_array(f, v2, version=(2, 0))
        expected['version2.npy'] = {'value': canonical(v2)}
    np.save(os.path.join(OUT, 'fortran.npy'), np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)))
    expected['fortran.npy'] = {'error': 'Fortran-ordered arrays are not supported'}
    np.save(os.path.join(OUT, 'object.npy'), np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
    expected['object.npy'] = {'error': "unsupported dtype '|O'"}

    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        # One fixture per line: readable diffs, compact file.
        lines = [f'  {json.dumps(name)}: {json.dumps(entry, allow_nan=False)}' for name, entry in expected.items()]
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f'wrote {len(os.listdir(OUT))} files, {total} bytes, into {os.path.relpath(OUT)}')


if __name__ == '__main__':
    main()
