"""Fixtures for @facepar/core I/O tests (safetensors written by hand, npy written by numpy).

Run: /usr/bin/python3 packages/core/scripts/gen_io_fixtures.py
No pip packages: the safetensors file is assembled with struct + json.
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "../src/io/fixtures")
os.makedirs(OUT, exist_ok=True)


def hand_safetensors():
    # (name, dtype, shape, raw bytes, expected values as JSON)
    f32 = [1.5, -2.25, 3.0, 0.1, -0.0, 1e-3]
    f16 = [1.0, -0.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08]  # incl. max and subnormal
    bf16 = [1.5, -2.0, 0.15625, 3.0e38]
    bf16_bits = [struct.unpack("<I", struct.pack("<f", v))[0] >> 16 for v in bf16]
    bf16_vals = [struct.unpack("<f", struct.pack("<I", b << 16))[0] for b in bf16_bits]
    items = [
        ("model.weight", "F32", [2, 3], struct.pack("<6f", *f32), [struct.unpack("<f", struct.pack("<f", v))[0] for v in f32]),
        ("half", "F16", [5], struct.pack("<5e", *f16), f16),
        ("brain", "BF16", [2, 2], struct.pack("<4H", *bf16_bits), bf16_vals),
        ("steps", "I64", [2], struct.pack("<2q", 7, -(2 ** 40)), ["7", str(-(2 ** 40))]),
        ("ids", "I32", [2], struct.pack("<2i", -3, 2 ** 31 - 1), [-3, 2 ** 31 - 1]),
        ("pix", "U8", [3], bytes([0, 128, 255]), [0, 128, 255]),
        ("mask", "BOOL", [2], bytes([1, 0]), [1, 0]),
        ("dbl", "F64", [], struct.pack("<d", 0.1), [0.1]),
        ("empty", "F32", [0, 4], b"", []),
    ]
    # Data area in a different order from the header keys, to test that readers use offsets.
    order = [3, 0, 5, 1, 8, 2, 4, 6, 7]
    offsets = {}
    data = b""
    for i in order:
        name, _, _, raw, _ = items[i]
        offsets[name] = [len(data), len(data) + len(raw)]
        data += raw
    header = {"__metadata__": {"format": "pt", "source": "hand"}}
    for name, dtype, shape, _, _ in items:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": offsets[name]}
    hj = json.dumps(header).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    blob = struct.pack("<Q", len(hj)) + hj + data
    with open(os.path.join(OUT, "hand.safetensors"), "wb") as f:
        f.write(blob)
    expected = {name: {"dtype": dt, "shape": shape, "values": vals} for name, dt, shape, _, vals in items}
    return {"metadata": header["__metadata__"], "tensors": expected}


def npy_files():
    rng = np.random.default_rng(0)
    arrays = {
        "f4": rng.standard_normal((2, 3)).astype("<f4"),
        "f8": np.array([0.1, -1e300, 2.5], dtype="<f8"),
        "i4": np.arange(-2, 4, dtype="<i4").reshape(3, 2),
        "i8": np.array([2 ** 40, -5], dtype="<i8"),
        "u1": np.array([[0, 1], [254, 255]], dtype="|u1"),
        "scalar": np.array(3.5, dtype="<f4"),
        "vec": np.arange(5, dtype="<f4"),
    }
    exp = {}
    for k, a in arrays.items():
        np.save(os.path.join(OUT, f"{k}.npy"), a)
        vals = [str(v) for v in a.reshape(-1).tolist()] if a.dtype == np.int64 else a.reshape(-1).tolist()
        exp[k] = {"dtype": a.dtype.str, "shape": list(a.shape), "values": vals}
    with open(os.path.join(OUT, "v2.npy"), "wb") as f:
        np.lib.format.write_array(f, arrays["f4"], version=(2, 0))
    exp["v2"] = exp["f4"]
    np.save(os.path.join(OUT, "fortran.npy"), np.asfortranarray(rng.standard_normal((2, 3)).astype("<f4")))
    np.save(os.path.join(OUT, "bigendian.npy"), np.arange(3, dtype=">f4"))
    return exp


def half_cases():
    vals = np.array(
        [0.0, -0.0, 1.0, -2.5, 0.1, 1 / 3, 65504.0, 65520.0, 1e6, 6.1e-5, 3e-8, 2.98e-8, 5.96e-8,
         1.0009765625, 1.00048828125, 1.00146484375, -1e-10, float("inf"), 2049.0, 2051.0],
        dtype=np.float32,
    )
    h = vals.astype(np.float16)
    return {
        "f32": [float(v) for v in vals.tolist()[:-3]] + ["inf", 2049.0, 2051.0],
        "f16bits": h.view(np.uint16).tolist(),
        "f16values": [float(v) if np.isfinite(v) else "inf" for v in h.astype(np.float32).tolist()],
    }


def main():
    fixtures = {"safetensors": hand_safetensors(), "npy": npy_files(), "half": half_cases()}
    with open(os.path.join(OUT, "io-expected.json"), "w") as f:
        json.dump(fixtures, f, separators=(",", ":"))
    print(sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
