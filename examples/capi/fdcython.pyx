# cython: language_level=3, boundscheck=False, wraparound=False
"""fdcython: Cython code calling fastdrop's kernels without the GIL, through
the C API table (``cimport fastdrop.capi``), linked against nothing of
fastdrop. tests/test_capi.py builds it and compares it with the Python API."""
from libc.stdint cimport uint8_t, uint16_t, uint64_t

from fastdrop.capi cimport FD_OK, FD_SCALE, fd_capi, fd_capi_import, fd_stream

cdef const fd_capi *fd = fd_capi_import()   # at import, with the GIL


cdef fd_stream _stream(uint64_t seed, uint64_t offset, double p) except *:
    cdef fd_stream s
    s.key = fd.key(seed)
    s.index = offset
    if fd.threshold(p, &s.threshold) != FD_OK:
        raise ValueError(f"p must be in [0, 1], got {p}")
    return s


def dropout_f32(const float[::1] x, float[::1] y, uint64_t seed, uint64_t offset, double p):
    """y = dropout of x with inverted scaling (x and y float32, one size)."""
    if x.shape[0] != y.shape[0]:
        raise ValueError("x and y differ in size")
    cdef fd_stream s = _stream(seed, offset, p)
    cdef float scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    cdef int rc
    with nogil:
        rc = fd.dropout_f32(&s, &x[0] if x.shape[0] else NULL, &y[0] if y.shape[0] else NULL,
                            NULL, <size_t>x.shape[0], scale, FD_SCALE)
    if rc != FD_OK:
        raise ValueError(f"fastdrop returned status {rc}")


def dropout_f64(const double[::1] x, double[::1] y, uint64_t seed, uint64_t offset, double p):
    """As dropout_f32, for float64."""
    if x.shape[0] != y.shape[0]:
        raise ValueError("x and y differ in size")
    cdef fd_stream s = _stream(seed, offset, p)
    cdef double scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    cdef int rc
    with nogil:
        rc = fd.dropout_f64(&s, &x[0] if x.shape[0] else NULL, &y[0] if y.shape[0] else NULL,
                            NULL, <size_t>x.shape[0], scale, FD_SCALE)
    if rc != FD_OK:
        raise ValueError(f"fastdrop returned status {rc}")


def dropout_f16(const uint16_t[::1] x, uint16_t[::1] y, uint64_t seed, uint64_t offset,
                double p):
    """As dropout_f32, for float16 data passed as its uint16 bits (x.view(np.uint16))."""
    if x.shape[0] != y.shape[0]:
        raise ValueError("x and y differ in size")
    cdef fd_stream s = _stream(seed, offset, p)
    cdef float scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    cdef int rc
    with nogil:
        rc = fd.dropout_f16(&s, &x[0] if x.shape[0] else NULL, &y[0] if y.shape[0] else NULL,
                            NULL, <size_t>x.shape[0], scale, FD_SCALE)
    if rc != FD_OK:
        raise ValueError(f"fastdrop returned status {rc}")


def mask_bits(uint64_t seed, uint64_t offset, double p, uint8_t[::1] bits):
    """bits = the packed keep bits of 8 * len(bits) elements."""
    cdef fd_stream s = _stream(seed, offset, p)
    cdef int rc
    with nogil:
        rc = fd.mask_bits(&s, &bits[0], <size_t>bits.shape[0] * 8)
    if rc != FD_OK:
        raise ValueError(f"fastdrop returned status {rc}")
