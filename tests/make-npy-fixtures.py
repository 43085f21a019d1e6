#!/usr/bin/python3
"""Writes the small .npy files that test-npy reads, with numpy's own writer.

Run from the repository root:  /usr/bin/python3 tests/make-npy-fixtures.py
The files are committed, so the test suite does not need numpy.

Values are chosen so the test can recompute them without numpy: element i
(in C order) of a float32 array is i / 8 - 3 (exact in float32), of a
float64 array i / 3 (correctly rounded division, the same in C).
"""
import io
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "npy")


def f32(shape):
    n = int(np.prod(shape, dtype=np.int64))
    return (np.arange(n, dtype=np.float64) / 8 - 3).astype("<f4").reshape(shape)


def f64(shape):
    n = int(np.prod(shape, dtype=np.int64))
    return (np.arange(n, dtype=np.float64) / 3).astype("<f8").reshape(shape)


def save(name, array, version=None):
    path = os.path.join(OUT, name)
    if version is None:
        np.save(path, array)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, array, version=version)


def main():
    os.makedirs(OUT, exist_ok=True)
    # Readable, and byte-identical to Blockscope's writer.
    save("f4-2x3.npy", f32((2, 3)))
    save("f4-2x3x4x5.npy", f32((2, 3, 4, 5)))
    save("f4-0x3.npy", f32((0, 3)))
    save("f8-scalar.npy", f64(()))
    save("f8-5.npy", f64((5,)))
    save("f8-7x1.npy", f64((7, 1)))
    # Readable: format version 2.0 (4-byte header length).
    save("f8-3x2-v2.npy", f64((3, 2)), version=(2, 0))
    # A Fortran-ordered 1-d array is the same bytes as C order: numpy writes
    # fortran_order False for it, so only 2-d and up can be Fortran.
    save("f4-fortran-2x3.npy", np.asfortranarray(f32((2, 3))))
    # Rejected: other dtypes and byte orders.
    save("i4-3.npy", np.arange(3, dtype="<i4"))
    save("f2-3.npy", np.arange(3, dtype="<f2"))
    save("f8-big-endian-3.npy", f64((3,)).astype(">f8"))
    save("c8-2.npy", np.zeros(2, dtype="<c8"))
    save("structured-2.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<f4")]))


if __name__ == "__main__":
    main()
