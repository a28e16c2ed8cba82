"""Small `.pth` files written by PyTorch's own `torch.save`, for the @facepar/core pth reader tests.

Run with Debian's python3-torch 1.13:  /usr/bin/python3 packages/core/scripts/gen_pth_fixtures.py

Writes packages/core/src/io/pth/fixtures/:
- tensors.pth (zip format), tensors-legacy.pth (`_use_new_zipfile_serialization=False`),
  tensors-p4.pth (zip, pickle protocol 4) and tensors-deflated.pth (the zip re-compressed with
  deflate by Python's zipfile): the same OrderedDict of every dtype facepar reads, with
  non-contiguous views (transpose, slice with a storage offset, stride-0 expand, channels_last),
  tensors sharing one storage, a 0-dim and an empty tensor and an nn.Parameter;
- tensors-expected.json: each tensor's dtype, shape and contiguous little-endian bytes (hex);
- mmseg-checkpoint.pth: {'meta': mmseg-style plain data, 'state_dict': ..., 'optimizer': ...};
- meta-namespace.pth: a checkpoint whose 'args' holds an argparse.Namespace (a global that is
  not allowed) beside a clean 'state_dict';
- hostile-system.pth / hostile-eval-legacy.pth: torch.save of an object whose __reduce__ names
  posix.system / builtins.eval; loading them with plain pickle would run `touch <canary>`;
- plain-p0.pkl ... plain-p5.pkl: pickle.dumps of plain data (every int/float/str/bytes/tuple/
  set/dict opcode family) at protocols 0-5, and plain-expected.json, its canonical JSON.
"""

import argparse
import collections
import io
import json
import os
import pickle
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'src', 'io', 'pth', 'fixtures')
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(7)

DTYPES = {
    torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
    torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8',
    torch.uint8: 'U8', torch.bool: 'BOOL',
}


def le_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype('<i2').tobytes()
    if t.dtype == torch.bool:
        return t.to(torch.uint8).numpy().tobytes()
    arr = t.numpy()
    return arr.astype(arr.dtype.newbyteorder('<')).tobytes()


def tensors():
    sd = collections.OrderedDict()
    sd['f32'] = torch.tensor([[1.5, -2.25, 3.0], [0.1, -0.0, 1e-3]])
    sd['f64'] = torch.tensor([1.0 / 3.0, -1e300, 5e-324], dtype=torch.float64)
    sd['f16'] = torch.tensor([1.0, -0.5, 65504.0, 6.1e-5, 6e-8, float('inf')], dtype=torch.float16)
    sd['bf16'] = torch.tensor([1.5, -2.0, 0.15625, 3.0e38], dtype=torch.bfloat16)
    sd['i64'] = torch.tensor([[7, -(2**40)], [2**62, -1]], dtype=torch.int64)
    sd['i32'] = torch.tensor([-3, 2**31 - 1], dtype=torch.int32)
    sd['i16'] = torch.tensor([-32768, 12345], dtype=torch.int16)
    sd['i8'] = torch.tensor([-128, 5, 127], dtype=torch.int8)
    sd['u8'] = torch.tensor([0, 128, 255], dtype=torch.uint8)
    sd['bool'] = torch.tensor([True, False, True])
    sd['scalar'] = torch.tensor(2.5)
    sd['empty'] = torch.zeros(0, 3)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    sd['transposed'] = base.t()  # stride (1, 6)
    sd['sliced'] = base[1:, ::2]  # storage offset 6, stride (6, 2)
    sd['expanded'] = torch.tensor([1.0, 2.0, 3.0]).expand(2, 3)  # stride (0, 1)
    sd['shared_a'] = base  # the same storage as transposed and sliced
    sd['channels_last'] = torch.randn(2, 3, 2, 2).to(memory_format=torch.channels_last)
    sd['param'] = torch.nn.Parameter(torch.tensor([0.25, -4.0]))
    sd['num_batches_tracked'] = torch.tensor(40000)
    assert not sd['transposed'].is_contiguous() and not sd['sliced'].is_contiguous()
    assert sd['sliced'].storage_offset() == 6 and sd['expanded'].stride() == (0, 1)
    assert not sd['channels_last'].is_contiguous()
    return sd


def main():
    sd = tensors()
    expected = {k: {'dtype': DTYPES[v.dtype], 'shape': list(v.shape), 'hex': le_bytes(v).hex()}
                for k, v in sd.items()}
    with open(os.path.join(OUT, 'tensors-expected.json'), 'w') as f:
        json.dump({'keys': list(sd.keys()), 'tensors': expected}, f, indent=1)
        f.write('\n')
    torch.save(sd, os.path.join(OUT, 'tensors.pth'))
    torch.save(sd, os.path.join(OUT, 'tensors-legacy.pth'), _use_new_zipfile_serialization=False)
    torch.save(sd, os.path.join(OUT, 'tensors-p4.pth'), pickle_protocol=4)
    # the same archive with every entry deflated (torch itself writes stored entries)
    src = zipfile.ZipFile(os.path.join(OUT, 'tensors.pth'))
    with zipfile.ZipFile(os.path.join(OUT, 'tensors-deflated.pth'), 'w', zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, src.read(info.filename))
    for name in ['tensors.pth', 'tensors-legacy.pth', 'tensors-p4.pth', 'tensors-deflated.pth']:
        back = torch.load(os.path.join(OUT, name))
        assert list(back.keys()) == list(sd.keys()), name
        for k in sd:
            assert torch.equal(back[k], sd[k]), (name, k)
    # weights_only loads our zip fixture (it holds only allowed globals)
    torch.load(os.path.join(OUT, 'tensors.pth'), weights_only=True)

    # an mmseg (0.x, mmcv runner) checkpoint: meta of plain data, the state dict, SGD state
    g = torch.Generator().manual_seed(3)
    state = collections.OrderedDict()
    state['backbone.stem.0.weight'] = torch.randn(2, 3, 3, 3, generator=g)
    state['backbone.stem.1.weight'] = torch.rand(2, generator=g) + 0.5
    state['backbone.stem.1.bias'] = torch.randn(2, generator=g)
    state['backbone.stem.1.running_mean'] = torch.randn(2, generator=g)
    state['backbone.stem.1.running_var'] = torch.rand(2, generator=g) + 0.5
    state['backbone.stem.1.num_batches_tracked'] = torch.tensor(40000)
    state['decode_head.conv_seg.weight'] = torch.randn(19, 2, 1, 1, generator=g)
    state['decode_head.conv_seg.bias'] = torch.randn(19, generator=g)
    meta = {
        'env_info': 'sys.platform: linux\nPython: 3.8.13\nPyTorch: 1.13.1',
        'config': "norm_cfg = dict(type='SyncBN', requires_grad=True)\nmodel = dict(type='EncoderDecoder')\n",
        'seed': 2**40 + 3,
        'exp_name': 'deeplabv3plus_r50-d8_512x512_40k_celebamask.py',
        'mmseg_version': '0.30.0+unknown',
        'CLASSES': ('background', 'skin', 'nose'),
        'PALETTE': [[0, 0, 0], [204, 0, 0], [76, 153, 0]],
        'epoch': 1,
        'iter': 40000,
        'mmcv_version': '1.7.1',
        'time': 'Mon Dec  1 12:00:00 2026',
        'hook_msgs': {'last_ckpt': '/work/iter_40000.pth', 'best_score': 0.7712},
        'flags': {True, None},
        'blob': b'\x00\xffbytes',
        'lr': float('inf'),
        'input_shape': torch.Size([2, 3]),
        'dtype': torch.float16,
        'device': torch.device('cuda', 0),
    }
    params = [state['backbone.stem.0.weight'], state['decode_head.conv_seg.weight']]
    opt = torch.optim.SGD([torch.nn.Parameter(p.clone()) for p in params], lr=0.01, momentum=0.9,
                          weight_decay=5e-4)
    for p in opt.param_groups[0]['params']:
        p.grad = torch.ones_like(p)
    opt.step()
    ckpt = {'meta': meta, 'state_dict': state, 'optimizer': opt.state_dict()}
    torch.save(ckpt, os.path.join(OUT, 'mmseg-checkpoint.pth'))
    with open(os.path.join(OUT, 'mmseg-checkpoint-expected.json'), 'w') as f:
        json.dump({'keys': list(state.keys()),
                   'tensors': {k: {'dtype': DTYPES[v.dtype], 'shape': list(v.shape),
                                   'hex': le_bytes(v).hex()} for k, v in state.items()}},
                  f, indent=1)
        f.write('\n')

    # a checkpoint with a global outside the allowed list, outside the weights
    args = argparse.Namespace(lr=0.01, arch='resnet50')
    torch.save({'args': args, 'state_dict': collections.OrderedDict(w=torch.ones(2))},
               os.path.join(OUT, 'meta-namespace.pth'))

    # hostile files: unpickling them with plain pickle runs a shell command
    class Evil:
        def __init__(self, fn, arg):
            self.fn, self.arg = fn, arg

        def __reduce__(self):
            return (self.fn, (self.arg,))

    canary = 'touch facepar-pth-canary-should-not-exist'
    torch.save({'weight': torch.ones(2), 'payload': Evil(os.system, canary)},
               os.path.join(OUT, 'hostile-system.pth'))
    torch.save({'payload': Evil(eval, f"__import__('os').system('{canary}')")},
               os.path.join(OUT, 'hostile-eval-legacy.pth'), _use_new_zipfile_serialization=False)
    for name in ['hostile-system.pth', 'hostile-eval-legacy.pth']:
        try:
            torch.load(os.path.join(OUT, name), weights_only=True)
            raise AssertionError(f'{name} loaded with weights_only')
        except Exception as e:  # torch refuses them too
            assert 'Unsupported' in str(e) or 'unsupported' in str(e), e
    for name in sorted(os.listdir(OUT)):
        print(f'{os.path.getsize(os.path.join(OUT, name)):8d}  {name}')


def canonical(v):
    """The JSON form pickle.test.ts's converter gives for the same value."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if -(2**53) < v < 2**53 else f'{v}n'
    if isinstance(v, float):
        return v if v == v and abs(v) != float('inf') else repr(v)
    if isinstance(v, (bytes, bytearray)):
        return {'bytes': bytes(v).hex()}
    if isinstance(v, list):
        return [canonical(x) for x in v]
    if isinstance(v, tuple):
        return {'tuple': [canonical(x) for x in v]}
    if isinstance(v, (set, frozenset)):
        return {'set': sorted((canonical(x) for x in v), key=json.dumps)}
    if isinstance(v, dict):
        return {'dict': [[canonical(k), canonical(x)] for k, x in v.items()],
                'ordered': isinstance(v, collections.OrderedDict)}
    raise TypeError(type(v))


def plain_pickles():
    """pickle.dumps of plain data at every protocol (0-5), for the unpickler's opcode tests."""
    shared = [1, 2]
    obj = {
        'ints': [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, 2**53 + 1, -(2**70), 2**64],
        'floats': [0.0, -0.0, 1.5, -1e-300, 1e300, float('inf'), float('-inf')],
        'text': ['', 'ascii', 'é ü ß', '日本語', '\U0001F600 emoji', 'back\\slash\nnewline "quotes" \'s'],
        'bytes': [b'', b'\x00\x01\xff', bytearray(b'ba')],
        'bool': [True, False, None],
        'tuples': [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
        'sets': [set(), {1, 'a'}, frozenset({2})],
        'keys': {1: 'int', (1, 'a'): 'tuple', 'k': 'str', None: 'none', 2.5: 'float'},
        'ordered': collections.OrderedDict([('b', 1), ('a', 2)]),
        'shared': [shared, shared],
        'nested': {'a': [{'b': ({'c': [1]},)}]},
        'long_list': list(range(1001)),  # more than one APPENDS batch of 1000
        'long_dict': {f'k{i}': i for i in range(1001)},
    }
    cases = {}
    for p in range(6):
        data = pickle.dumps(obj, protocol=p)
        with open(os.path.join(OUT, f'plain-p{p}.pkl'), 'wb') as f:
            f.write(data)
        assert pickle.loads(data) == obj
        cases[p] = len(data)
    with open(os.path.join(OUT, 'plain-expected.json'), 'w') as f:
        json.dump(canonical(obj), f, indent=None)
        f.write('\n')
    print('plain pickles:', cases)


if __name__ == '__main__':
    main()
    plain_pickles()
