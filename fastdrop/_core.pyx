# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, binding=True
"""Thin wrappers over the C core.

Callers (``fastdrop._api``) pass C-contiguous, aligned, native-order arrays
of one float dtype (any shape; float16 and bfloat16 data go to C as their
uint16 bits; bfloat16 is a dtype of another package, ml_dtypes, told by its
name and size, since its type number is assigned when it is registered).
These functions check what the C core cannot (array types, dtypes, sizes),
call C without the GIL and turn its status codes into exceptions.
``dropout_fast`` is the one exception: it takes a public call's arguments
and answers NotImplemented for anything but the common, valid case.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, uintptr_t

cimport numpy as cnp

import os as _os

import numpy as np

cnp.import_array()

from fastdrop.c_fastdrop cimport *

RNG_SPEC = FD_RNG_SPEC.decode()
SCALE = FD_SCALE
ACCUMULATE = FD_ACCUMULATE


def _init_kernels():
    """Choose the kernels once (FASTDROP_ISA or the best supported); raise if impossible."""
    rc = fd_init()
    if rc == FD_OK:
        return
    want = _os.environ.get("FASTDROP_ISA", "")
    names = [fd_isa_name(i).decode() for i in range(FD_ISA_COUNT)]
    usable = [n for i, n in enumerate(names) if fd_isa_supported(i)]
    if rc == FD_EARG:
        raise RuntimeError(f"FASTDROP_ISA={want!r} is not one of {', '.join(names)}")
    raise RuntimeError(
        f"FASTDROP_ISA={want!r}: this CPU, its OS or this build cannot run that "
        f"kernel; available here: {', '.join(usable)}"
    )


_init_kernels()


cdef int _check(int rc) except -1:
    if rc == FD_OK:
        return 0
    if rc == FD_ERANGE:
        raise ValueError("offset + number of elements exceeds 2**64")
    if rc == FD_EARG:
        raise ValueError("argument out of range (p, threshold or flags)")
    if rc == FD_EISA:
        raise ValueError("that kernel is not available on this CPU")
    raise RuntimeError(f"fastdrop C core returned status {rc}")


cdef int _FAST_FLAGS = cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED
cdef object _U64_END = 1 << 64
cdef int _NPY_HALF = np.dtype(np.float16).num
cdef int _NPY_USERDEF = 256  # the first type number of a dtype registered at run time
# The dispatch code of bfloat16 (not a type number: bfloat16 has none fixed).
cdef int _BF16 = -2
# The type number of the last bfloat16 dtype seen (-1: none yet).
cdef int _bf16_num = -1


cdef int _bf16_code(int typenum, object dtype) except -3:
    """_BF16 if typenum (a user-defined type number) is a bfloat16 dtype, else -1."""
    global _bf16_num
    if typenum == _bf16_num:
        return _BF16
    if typenum >= _NPY_USERDEF and dtype.name == "bfloat16" and dtype.itemsize == 2:
        _bf16_num = typenum
        return _BF16
    return -1


cdef inline int _float_code(int typenum, object dtype) except -3:
    """The dispatch code of an array's dtype: the type number of float32, float64
    and float16, _BF16 for bfloat16, -1 for any other dtype."""
    if typenum == cnp.NPY_FLOAT or typenum == cnp.NPY_DOUBLE or typenum == _NPY_HALF:
        return typenum
    if typenum < _NPY_USERDEF:
        return -1
    return _bf16_code(typenum, dtype)


cdef bint _plain(object a, int flags):
    """An exact ndarray, C-contiguous, aligned, native order, with the given flags."""
    if type(a) is not np.ndarray:
        return False
    cdef cnp.ndarray arr = <cnp.ndarray>a
    return (cnp.PyArray_FLAGS(arr) & flags) == flags and cnp.PyArray_ISNOTSWAPPED(arr)


cdef uint8_t *_bits_ptr(object bits, size_t n) except? NULL:
    """Data pointer of a packed mask for n elements (NULL for None), checked."""
    if bits is None:
        return NULL
    if not _plain(bits, _FAST_FLAGS | cnp.NPY_ARRAY_WRITEABLE) \
            or cnp.PyArray_TYPE(<cnp.ndarray>bits) != cnp.NPY_UINT8:
        raise TypeError("bits must be a writeable C-contiguous uint8 array")
    if <size_t>cnp.PyArray_SIZE(<cnp.ndarray>bits) != (n + 7) // 8:
        raise ValueError(f"bits must hold {(n + 7) // 8} bytes, not {bits.size}")
    return <uint8_t *>cnp.PyArray_DATA(<cnp.ndarray>bits)


cdef int _pair(object x, object y) except -3:
    """Check that x and y are plain arrays of one float dtype and size; return its
    dispatch code (`_float_code`)."""
    if not _plain(x, _FAST_FLAGS) or not _plain(y, _FAST_FLAGS | cnp.NPY_ARRAY_WRITEABLE):
        raise TypeError("x and y must be C-contiguous, aligned, native-order arrays")
    cdef int typenum = cnp.PyArray_TYPE(<cnp.ndarray>x)
    if typenum != cnp.PyArray_TYPE(<cnp.ndarray>y):
        raise TypeError("x and y differ in dtype")
    cdef int code = _float_code(typenum, x.dtype)
    if code == -1:
        raise TypeError(f"unsupported dtype {x.dtype}")
    if cnp.PyArray_SIZE(<cnp.ndarray>x) != cnp.PyArray_SIZE(<cnp.ndarray>y):
        raise ValueError("x and y differ in size")
    return code


cdef int _run_dropout(int typenum, const fd_stream *s, const void *x, void *y, uint8_t *bits,
                      size_t n, double scale, unsigned flags) noexcept:
    """The C dropout of the dtype typenum (a `_float_code`), without the GIL; returns its
    status."""
    cdef int rc
    with nogil:
        if typenum == cnp.NPY_FLOAT:
            rc = fd_dropout_f32(s, <const float *>x, <float *>y, bits, n, <float>scale, flags)
        elif typenum == cnp.NPY_DOUBLE:
            rc = fd_dropout_f64(s, <const double *>x, <double *>y, bits, n, scale, flags)
        elif typenum == _BF16:
            rc = fd_dropout_bf16(s, <const uint16_t *>x, <uint16_t *>y, bits, n, <float>scale,
                                 flags)
        else:
            rc = fd_dropout_f16(s, <const uint16_t *>x, <uint16_t *>y, bits, n, <float>scale, flags)
    return rc


cdef int _run_apply_bits(int typenum, const uint8_t *bits, const void *x, void *y, size_t n,
                         double scale, unsigned flags) noexcept:
    """The C apply_bits of the dtype typenum (a `_float_code`), without the GIL; returns
    its status."""
    cdef int rc
    with nogil:
        if typenum == cnp.NPY_FLOAT:
            rc = fd_apply_bits_f32(bits, <const float *>x, <float *>y, n, <float>scale, flags)
        elif typenum == cnp.NPY_DOUBLE:
            rc = fd_apply_bits_f64(bits, <const double *>x, <double *>y, n, scale, flags)
        elif typenum == _BF16:
            rc = fd_apply_bits_bf16(bits, <const uint16_t *>x, <uint16_t *>y, n, <float>scale,
                                    flags)
        else:
            rc = fd_apply_bits_f16(bits, <const uint16_t *>x, <uint16_t *>y, n, <float>scale, flags)
    return rc


def key(uint64_t seed):
    """key(seed)

    The stream key of a 64-bit seed (SPEC.md step 1)."""
    return fd_key(seed)


def threshold(double p):
    """threshold(p)

    The keep threshold T for drop probability p: keep iff u32 < T."""
    cdef uint64_t t = 0
    _check(fd_threshold(p, &t))
    return t


def uniforms(uint64_t key, uint64_t index, uint32_t[::1] out):
    """uniforms(key, index, out)

    Fill out with the uniforms of elements index, index + 1, ... ."""
    cdef fd_stream s = fd_stream(key, index, 0)
    cdef size_t n = out.shape[0]
    with nogil:
        rc = fd_uniforms(&s, &out[0] if n else NULL, n)
    _check(rc)


def mask_bits(uint64_t key, uint64_t index, uint64_t threshold, bits, size_t n):
    """mask_bits(key, index, threshold, bits, n)

    Write the packed keep bits of n elements into bits."""
    cdef fd_stream s = fd_stream(key, index, threshold)
    cdef uint8_t *bp = _bits_ptr(bits, n)
    with nogil:
        rc = fd_mask_bits(&s, bp, n)
    _check(rc)


cdef object _fast_forward(object x, object p, object seed, object offset, object scaling,
                          object out, bint with_bits):
    """Training-mode dropout for the common case only (see `dropout_fast`); with with_bits
    the result is (y, read-only packed bits)."""
    if not _plain(x, _FAST_FLAGS) or type(p) is not float or type(seed) is not int \
            or type(offset) is not int or not 0.0 <= p <= 1.0:
        return NotImplemented
    cdef cnp.ndarray xa = <cnp.ndarray>x
    cdef int typenum = cnp.PyArray_TYPE(xa)
    cdef int code = _float_code(typenum, xa.dtype)
    if code == -1:
        return NotImplemented
    cdef cnp.npy_intp n = cnp.PyArray_SIZE(xa)
    if not (0 <= seed < _U64_END and 0 <= offset and offset + n <= _U64_END) or n == 0:
        return NotImplemented
    if type(scaling) is not str:
        return NotImplemented
    cdef bint inverted = scaling == "inverted"
    if not inverted and scaling != "classic":
        return NotImplemented
    cdef cnp.ndarray ya = _fast_result(out, xa, typenum)
    if ya is None:
        return NotImplemented
    cdef cnp.ndarray bits = None
    cdef cnp.npy_intp nbytes = (n + 7) // 8
    cdef uint8_t *bp = NULL
    if with_bits:
        bits = cnp.PyArray_EMPTY(1, &nbytes, cnp.NPY_UINT8, 0)
        bp = <uint8_t *>cnp.PyArray_DATA(bits)
    cdef uint64_t thr = 0
    _check(fd_threshold(p, &thr))
    cdef fd_stream s = fd_stream(fd_key(seed), offset, thr)
    cdef double scale = (0.0 if p == 1.0 else 1.0 / (1.0 - p)) if inverted else 1.0
    cdef unsigned flags = FD_SCALE if inverted else 0
    _check(_run_dropout(code, &s, cnp.PyArray_DATA(xa), cnp.PyArray_DATA(ya), bp, n,
                        scale, flags))
    if not with_bits:
        return ya
    cdef cnp.ndarray view = bits.view()  # read-only and, being a view, not resizable
    cnp.PyArray_CLEARFLAGS(view, cnp.NPY_ARRAY_WRITEABLE)
    return ya, view


cdef cnp.ndarray _fast_result(object out, cnp.ndarray xa, int typenum):
    """The array a fast path writes: a new one like xa for out None, else out if it is a
    plain writeable array of xa's dtype and shape that is xa itself or does not overlap
    it; None if it is anything else."""
    if out is None:
        if typenum >= _NPY_USERDEF:  # bfloat16: its descriptor, not its number
            return np.empty((<object>xa).shape, dtype=(<object>xa).dtype)
        return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(xa), cnp.PyArray_DIMS(xa), typenum, 0)
    if not _plain(out, _FAST_FLAGS | cnp.NPY_ARRAY_WRITEABLE):
        return None
    cdef cnp.ndarray ya = <cnp.ndarray>out
    if cnp.PyArray_TYPE(ya) != typenum or not cnp.PyArray_SAMESHAPE(xa, ya):
        return None
    cdef uintptr_t xs = <uintptr_t>cnp.PyArray_DATA(xa), ys = <uintptr_t>cnp.PyArray_DATA(ya)
    cdef uintptr_t nbytes = <uintptr_t>cnp.PyArray_NBYTES(xa)
    if xs != ys and xs < ys + nbytes and ys < xs + nbytes:
        return None  # partial overlap: the general path copies x first
    return ya


def dropout_fast(x, p, seed, offset, scaling, out):
    """dropout_fast(x, p, seed, offset, scaling, out)

    Training-mode dropout for the common case only: x a plain, non-empty
    float array, p a float in [0, 1], seed and offset ints in range,
    scaling "inverted" or "classic", out None or a plain array of x's dtype
    and shape that is x itself or does not overlap it. Returns the result,
    or NotImplemented when any of that does not hold (the caller then takes
    the general path, which also reports errors)."""
    return _fast_forward(x, p, seed, offset, scaling, out, False)


def forward_fast(x, p, seed, offset, scaling, out):
    """forward_fast(x, p, seed, offset, scaling, out)

    As `dropout_fast`, but returns (y, bits): the packed mask as a
    read-only view, or NotImplemented."""
    return _fast_forward(x, p, seed, offset, scaling, out, True)


def backward_fast(grad, shape, p, scaling, seed, offset, bits, out):
    """backward_fast(grad, shape, p, scaling, seed, offset, bits, out)

    dropout_backward for the common case only: grad a plain float array of
    the mask's shape, 0 < p < 1 (a float), bits None (regenerate from
    seed and offset) or plain uint8 bytes of the right length, padding bits
    0, not overlapping out; out None or as in `dropout_fast`; no
    accumulation. Returns the result, or NotImplemented (the caller then
    takes the general path, which also reports errors)."""
    if not _plain(grad, _FAST_FLAGS) or type(p) is not float or not 0.0 < p < 1.0 \
            or type(scaling) is not str or grad.shape != shape:
        return NotImplemented
    cdef cnp.ndarray ga = <cnp.ndarray>grad
    cdef int typenum = cnp.PyArray_TYPE(ga)
    cdef int code = _float_code(typenum, ga.dtype)
    if code == -1:
        return NotImplemented
    cdef cnp.npy_intp n = cnp.PyArray_SIZE(ga)
    cdef bint inverted = scaling == "inverted"
    if n == 0 or (not inverted and scaling != "classic"):
        return NotImplemented
    cdef uintptr_t bs = 0, ys, nb = <uintptr_t>((n + 7) // 8)
    cdef const uint8_t *bp = NULL
    if bits is not None:
        if not _plain(bits, _FAST_FLAGS) or cnp.PyArray_TYPE(<cnp.ndarray>bits) != cnp.NPY_UINT8 \
                or cnp.PyArray_NDIM(<cnp.ndarray>bits) != 1 \
                or <uintptr_t>cnp.PyArray_SIZE(<cnp.ndarray>bits) != nb:
            return NotImplemented
        bp = <const uint8_t *>cnp.PyArray_DATA(<cnp.ndarray>bits)
        if n % 8 and bp[nb - 1] >> (n % 8):
            return NotImplemented  # padding bits set: the general path says so
        bs = <uintptr_t>bp
    elif type(seed) is not int or type(offset) is not int:
        return NotImplemented
    cdef cnp.ndarray ya = _fast_result(out, ga, typenum)
    if ya is None:
        return NotImplemented
    ys = <uintptr_t>cnp.PyArray_DATA(ya)
    if bp != NULL and bs < ys + <uintptr_t>cnp.PyArray_NBYTES(ya) and ys < bs + nb:
        return NotImplemented  # out over the bits: the general path copies them first
    cdef double scale = 1.0 / (1.0 - p) if inverted else 1.0
    cdef unsigned flags = FD_SCALE if inverted else 0
    cdef uint64_t thr = 0
    cdef fd_stream st
    cdef void *gp = cnp.PyArray_DATA(ga)
    cdef void *yp = cnp.PyArray_DATA(ya)
    if bp == NULL:
        _check(fd_threshold(p, &thr))
        st = fd_stream(fd_key(seed), offset, thr)
        _check(_run_dropout(code, &st, gp, yp, NULL, n, scale, flags))
    else:
        _check(_run_apply_bits(code, bp, gp, yp, n, scale, flags))
    return ya


def dropout(x, y, bits, uint64_t key, uint64_t index, uint64_t threshold,
            double scale, unsigned flags):
    """dropout(x, y, bits, key, index, threshold, scale, flags)

    y = dropout of x (same float dtype and size, C-contiguous) with a
    generated mask; bits (uint8 or None) gets the packed mask. scale is
    rounded to float32 for float16, bfloat16 and float32 data."""
    cdef int typenum = _pair(x, y)
    cdef size_t n = cnp.PyArray_SIZE(<cnp.ndarray>x)
    cdef uint8_t *bp = _bits_ptr(bits, n)
    cdef fd_stream s = fd_stream(key, index, threshold)
    _check(_run_dropout(typenum, &s, cnp.PyArray_DATA(<cnp.ndarray>x),
                        cnp.PyArray_DATA(<cnp.ndarray>y), bp, n, scale, flags))


def apply_bits(bits, x, y, double scale, unsigned flags):
    """apply_bits(bits, x, y, scale, flags)

    y = dropout of x with the keep bits read from the packed mask bits.
    Bits that share memory with y (a Mask made from a user's buffer) are
    copied first, so none is read after y has been written over it."""
    cdef int typenum = _pair(x, y)
    cdef size_t n = cnp.PyArray_SIZE(<cnp.ndarray>x)
    if not _plain(bits, _FAST_FLAGS) or cnp.PyArray_TYPE(<cnp.ndarray>bits) != cnp.NPY_UINT8:
        raise TypeError("bits must be a C-contiguous uint8 array")
    if <size_t>cnp.PyArray_SIZE(<cnp.ndarray>bits) != (n + 7) // 8:
        raise ValueError(f"bits must hold {(n + 7) // 8} bytes, not {bits.size}")
    cdef uintptr_t bs = <uintptr_t>cnp.PyArray_DATA(<cnp.ndarray>bits)
    cdef uintptr_t ys = <uintptr_t>cnp.PyArray_DATA(<cnp.ndarray>y)
    if bs < ys + <uintptr_t>cnp.PyArray_NBYTES(<cnp.ndarray>y) and ys < bs + (n + 7) // 8:
        bits = bits.copy()
    cdef const uint8_t *bp = <const uint8_t *>cnp.PyArray_DATA(<cnp.ndarray>bits)
    cdef void *xp = cnp.PyArray_DATA(<cnp.ndarray>x)
    cdef void *yp = cnp.PyArray_DATA(<cnp.ndarray>y)
    _check(_run_apply_bits(typenum, bp, xp, yp, n, scale, flags))


def isa_names():
    """isa_names()

    Names of every kernel ISA fastdrop knows, in table order."""
    return [fd_isa_name(i).decode() for i in range(FD_ISA_COUNT)]


def isa_supported(int isa):
    """isa_supported(isa)

    True if the kernels of ISA index isa are compiled in and run on this CPU."""
    return bool(fd_isa_supported(isa))


def active_isa():
    """active_isa()

    Index of the ISA whose kernels run now."""
    return fd_active_isa()


def best_isa():
    """best_isa()

    Index of the best ISA this build and CPU support."""
    return fd_best_isa()


def set_isa(int isa):
    """set_isa(isa)

    Make the kernels of ISA index isa the active ones."""
    _check(fd_set_isa(isa))


def openmp():
    """openmp()

    True if this build splits large calls over OpenMP threads."""
    return bool(fd_openmp())


def set_num_threads(int n):
    """set_num_threads(n)

    Threads for large calls; 0 restores OpenMP's default."""
    _check(fd_set_num_threads(n))


def get_num_threads():
    """get_num_threads()

    Threads a large call would use now."""
    return fd_get_num_threads()


# ===   Noise shapes (src_c/api/fd_noise.c)   ===

cdef int _run_noise(int typenum, const fd_noise *nz, const void *x, void *y, bint affine,
                    double s0, double s1, double s2, unsigned flags) noexcept:
    """The C noise-shape call of the dtype typenum (a `_float_code`), without the GIL;
    returns its status."""
    cdef int rc
    with nogil:
        if typenum == cnp.NPY_FLOAT:
            if affine:
                rc = fd_noise_affine_f32(nz, <const float *>x, <float *>y, <float>s0, <float>s1,
                                         <float>s2)
            else:
                rc = fd_noise_apply_f32(nz, <const float *>x, <float *>y, <float>s0, flags)
        elif typenum == cnp.NPY_DOUBLE:
            if affine:
                rc = fd_noise_affine_f64(nz, <const double *>x, <double *>y, s0, s1, s2)
            else:
                rc = fd_noise_apply_f64(nz, <const double *>x, <double *>y, s0, flags)
        elif typenum == _BF16:
            if affine:
                rc = fd_noise_affine_bf16(nz, <const uint16_t *>x, <uint16_t *>y, <float>s0,
                                          <float>s1, <float>s2)
            else:
                rc = fd_noise_apply_bf16(nz, <const uint16_t *>x, <uint16_t *>y, <float>s0,
                                         flags)
        else:
            if affine:
                rc = fd_noise_affine_f16(nz, <const uint16_t *>x, <uint16_t *>y, <float>s0,
                                         <float>s1, <float>s2)
            else:
                rc = fd_noise_apply_f16(nz, <const uint16_t *>x, <uint16_t *>y, <float>s0, flags)
    return rc


cdef _noise_call(object bits, object x, object y, object noise_shape, bint affine,
                 double s0, double s1, double s2, unsigned flags):
    cdef int typenum = _pair(x, y)
    cdef cnp.ndarray xa = <cnp.ndarray>x
    cdef int nd = cnp.PyArray_NDIM(xa), d
    if nd > FD_NOISE_MAX_DIMS or len(noise_shape) != nd:
        raise ValueError("noise_shape must have one entry per axis of x")
    cdef size_t dims[64]
    cdef uint8_t axes[64]
    cdef size_t m = 1
    for d in range(nd):
        dims[d] = <size_t>cnp.PyArray_DIMS(xa)[d]
        if noise_shape[d] == 1 and dims[d] != 1:
            axes[d] = 0
        elif noise_shape[d] == dims[d]:
            axes[d] = 1
            m *= dims[d]
        else:
            raise ValueError(f"noise_shape {tuple(noise_shape)} does not broadcast to {x.shape}")
    if cnp.PyArray_SIZE(xa) == 0:
        return
    if not _plain(bits, _FAST_FLAGS) or cnp.PyArray_TYPE(<cnp.ndarray>bits) != cnp.NPY_UINT8:
        raise TypeError("bits must be a C-contiguous uint8 array")
    if <size_t>cnp.PyArray_SIZE(<cnp.ndarray>bits) != (m + 7) // 8:
        raise ValueError(f"bits must hold {(m + 7) // 8} bytes, not {bits.size}")
    cdef uintptr_t bs = <uintptr_t>cnp.PyArray_DATA(<cnp.ndarray>bits)
    cdef uintptr_t ys = <uintptr_t>cnp.PyArray_DATA(<cnp.ndarray>y)
    if bs < ys + <uintptr_t>cnp.PyArray_NBYTES(<cnp.ndarray>y) and ys < bs + (m + 7) // 8:
        bits = bits.copy()
    cdef fd_noise nz
    nz.bits = <const uint8_t *>cnp.PyArray_DATA(<cnp.ndarray>bits)
    nz.size = m
    nz.ndim = nd
    nz.dims = dims
    nz.noise_axes = axes
    _check(_run_noise(typenum, &nz, cnp.PyArray_DATA(xa), cnp.PyArray_DATA(<cnp.ndarray>y),
                      affine, s0, s1, s2, flags))


def noise_apply(bits, x, y, noise_shape, double scale, unsigned flags):
    """noise_apply(bits, x, y, noise_shape, scale, flags)

    `apply_bits` with the packed mask of the noise array (shape noise_shape:
    x's shape with 1 on broadcast axes) broadcast over x, in one pass."""
    _noise_call(bits, x, y, noise_shape, False, scale, 0.0, 0.0, flags)


def noise_affine(bits, x, y, noise_shape, double a, double b, double alpha):
    """noise_affine(bits, x, y, noise_shape, a, b, alpha)

    Alpha dropout's rule under a broadcast mask: y = a * z + b (two
    roundings), z = x where kept and alpha where dropped."""
    _noise_call(bits, x, y, noise_shape, True, a, b, alpha, 0)

# ===   Windows (src_c/api/fd_window.c)   ===

cdef int _window(fd_window *w, object shape, object global_shape, object global_origin,
                 size_t *sh, uint64_t *gs, uint64_t *og) except -1:
    """Fill w with a block of shape shape at global_origin in global_shape."""
    cdef int nd = len(shape), d
    if nd > FD_WINDOW_MAX_DIMS or len(global_shape) != nd or len(global_origin) != nd:
        raise ValueError("global_shape and global_origin must have one entry per axis")
    for d in range(nd):
        sh[d] = shape[d]
        gs[d] = global_shape[d]
        og[d] = global_origin[d]
    w.ndim = nd
    w.shape = sh
    w.global_shape = gs
    w.origin = og
    return 0


def window_mask_bits(uint64_t key, uint64_t index, uint64_t threshold, bits, shape,
                     global_shape, global_origin):
    """window_mask_bits(key, index, threshold, bits, shape, global_shape, global_origin)

    Packed keep bits of a block of shape shape at global_origin in an array
    of shape global_shape, in the block's C order; index is the stream
    element of global element 0."""
    cdef size_t sh[64]
    cdef uint64_t gs[64]
    cdef uint64_t og[64]
    cdef fd_window w
    _window(&w, shape, global_shape, global_origin, sh, gs, og)
    cdef size_t n = 1
    for d in shape:
        n *= <size_t>d
    cdef uint8_t *bp = _bits_ptr(bits, n)
    cdef fd_stream s = fd_stream(key, index, threshold)
    with nogil:
        rc = fd_window_mask_bits(&s, &w, bp)
    _check(rc)


def window_dropout(x, y, bits, uint64_t key, uint64_t index, uint64_t threshold,
                   double scale, unsigned flags, global_shape, global_origin):
    """window_dropout(x, y, bits, key, index, threshold, scale, flags, global_shape, global_origin)

    `dropout` of a block x (its shape is the block's) at global_origin in an
    array of shape global_shape: each element under its global stream
    element (index is global element 0's); bits in the block's C order."""
    cdef int typenum = _pair(x, y)
    cdef size_t n = cnp.PyArray_SIZE(<cnp.ndarray>x)
    cdef uint8_t *bp = _bits_ptr(bits, n)
    cdef size_t sh[64]
    cdef uint64_t gs[64]
    cdef uint64_t og[64]
    cdef fd_window w
    _window(&w, x.shape, global_shape, global_origin, sh, gs, og)
    cdef fd_stream s = fd_stream(key, index, threshold)
    cdef const void *xp = cnp.PyArray_DATA(<cnp.ndarray>x)
    cdef void *yp = cnp.PyArray_DATA(<cnp.ndarray>y)
    cdef int rc
    with nogil:
        if typenum == cnp.NPY_FLOAT:
            rc = fd_window_dropout_f32(&s, &w, <const float *>xp, <float *>yp, bp,
                                       <float>scale, flags)
        elif typenum == cnp.NPY_DOUBLE:
            rc = fd_window_dropout_f64(&s, &w, <const double *>xp, <double *>yp, bp, scale,
                                       flags)
        elif typenum == _BF16:
            rc = fd_window_dropout_bf16(&s, &w, <const uint16_t *>xp, <uint16_t *>yp, bp,
                                        <float>scale, flags)
        else:
            rc = fd_window_dropout_f16(&s, &w, <const uint16_t *>xp, <uint16_t *>yp, bp,
                                       <float>scale, flags)
    _check(rc)

# --- normal stream and Gaussian noise (SPEC.md section 11) ---

NORMAL_SPEC = FD_NORMAL_SPEC.decode()


cdef int _f32_or_f64(object a, str name) except -1:
    """The type number of a plain, writeable-checked float32 or float64 array."""
    if not _plain(a, _FAST_FLAGS):
        raise TypeError(f"{name} must be a C-contiguous, aligned, native-order array")
    cdef int typenum = cnp.PyArray_TYPE(<cnp.ndarray>a)
    if typenum != cnp.NPY_FLOAT and typenum != cnp.NPY_DOUBLE:
        raise TypeError(f"{name} must be float32 or float64, not {a.dtype}")
    return typenum


def normals(uint64_t key, uint64_t index, z):
    """normals(key, index, z)

    z[i] = the normal variate of stream element index + i (z float32 or
    float64, C-contiguous, writeable)."""
    cdef int typenum = _f32_or_f64(z, "z")
    if not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>z):
        raise ValueError("z is read-only")
    cdef size_t n = cnp.PyArray_SIZE(<cnp.ndarray>z)
    cdef void *zp = cnp.PyArray_DATA(<cnp.ndarray>z)
    cdef int rc
    with nogil:
        if typenum == cnp.NPY_FLOAT:
            rc = fd_normals_f32(key, index, <float *>zp, n)
        else:
            rc = fd_normals_f64(key, index, <double *>zp, n)
    _check(rc)


def gaussian(x, y, uint64_t key, uint64_t index, double sigma):
    """gaussian(x, y, key, index, sigma)

    y = x * (1 + sigma * z) in x's dtype (float32 or float64; sigma rounded
    to it), z the normals of stream elements index, index + 1, ..."""
    cdef int typenum = _f32_or_f64(x, "x")
    if _f32_or_f64(y, "y") != typenum:
        raise TypeError("x and y differ in dtype")
    if not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>y):
        raise ValueError("y is read-only")
    cdef size_t n = cnp.PyArray_SIZE(<cnp.ndarray>x)
    if <size_t>cnp.PyArray_SIZE(<cnp.ndarray>y) != n:
        raise ValueError("x and y differ in size")
    cdef const void *xp = cnp.PyArray_DATA(<cnp.ndarray>x)
    cdef void *yp = cnp.PyArray_DATA(<cnp.ndarray>y)
    cdef int rc
    with nogil:
        if typenum == cnp.NPY_FLOAT:
            rc = fd_gaussian_f32(key, index, <const float *>xp, <float *>yp, n, <float>sigma)
        else:
            rc = fd_gaussian_f64(key, index, <const double *>xp, <double *>yp, n, sigma)
    _check(rc)


def _normal_words(h, z):
    """_normal_words(h, z)

    Test shim: z[i] = the variate of the uint64 word h[i] on the active
    kernel (the transform alone)."""
    if not _plain(h, _FAST_FLAGS) or cnp.PyArray_TYPE(<cnp.ndarray>h) != cnp.NPY_UINT64:
        raise TypeError("h must be a C-contiguous uint64 array")
    if not _plain(z, _FAST_FLAGS | cnp.NPY_ARRAY_WRITEABLE) or cnp.PyArray_TYPE(<cnp.ndarray>z) != cnp.NPY_DOUBLE:
        raise TypeError("z must be a writeable C-contiguous float64 array")
    cdef size_t n = cnp.PyArray_SIZE(<cnp.ndarray>h)
    if <size_t>cnp.PyArray_SIZE(<cnp.ndarray>z) != n:
        raise ValueError("h and z differ in size")
    cdef const uint64_t *hp = <const uint64_t *>cnp.PyArray_DATA(<cnp.ndarray>h)
    cdef double *zp = <double *>cnp.PyArray_DATA(<cnp.ndarray>z)
    cdef int rc
    with nogil:
        rc = fd_normal_words_f64(hp, zp, n)
    _check(rc)


# ===   DropBlock (src_c/api/fd_block.c)   ===

def block_keep_bits(drawn, keep, size_t planes, size_t h, size_t w, size_t e, size_t k):
    """block_keep_bits(drawn, keep, planes, h, w, e, k) -> int

    DropBlock's keep bits (into keep) from the centres drawn at gamma
    (drawn, packed keep bits), for planes maps of h x w positions of e
    elements each; returns the kept count."""
    cdef size_t n = planes * h * w * e
    cdef const uint8_t *dp = _bits_ptr(drawn, n)
    cdef uint8_t *kp = _bits_ptr(keep, n)
    cdef uint64_t kept = 0
    if n and np.may_share_memory(drawn, keep):
        raise ValueError("keep must not overlap drawn")
    with nogil:
        rc = fd_block_keep_bits(dp, kp, planes, h, w, e, k, &kept)
    _check(rc)
    return kept


def block_keep_bits_stream(uint64_t key, uint64_t index, uint64_t threshold, keep,
                           size_t planes, size_t h, size_t w, size_t e, size_t k):
    """block_keep_bits_stream(key, index, threshold, keep, planes, h, w, e, k) -> int

    block_keep_bits with the centres drawn from the stream (threshold:
    gamma's) band by band, without their whole packed array (which is
    drawn into a scratch array only where the windows are too wide for
    the bands); returns the kept count."""
    cdef fd_stream s = fd_stream(key, index, threshold)
    cdef size_t n = planes * h * w * e
    cdef uint8_t *kp = _bits_ptr(keep, n)
    cdef uint64_t kept = 0
    cdef uint8_t *sp = NULL
    with nogil:
        rc = fd_block_keep_bits_stream(&s, kp, NULL, planes, h, w, e, k, &kept)
    if rc == FD_ENULL and n and kp != NULL:
        scratch = np.empty((n + 7) // 8, np.uint8)
        sp = _bits_ptr(scratch, n)
        with nogil:
            rc = fd_block_keep_bits_stream(&s, kp, sp, planes, h, w, e, k, &kept)
    _check(rc)
    return kept


# ===   Dropout-add (src_c/api/fd_fused.c)   ===

def dropout_add(x, residual, bias, y, bits, uint64_t key, uint64_t index, uint64_t threshold,
                double scale):
    """dropout_add(x, residual, bias, y, bits, key, index, threshold, scale)

    y = residual + dropout(x + bias) in one pass (x, residual and y plain
    arrays of one float dtype and size; bias None or a plain array of that
    dtype, element i of x taking bias[i % bias.size]); bits (uint8 or None)
    gets the packed mask. y may be x or residual; any other overlap of y
    with an operand is refused."""
    cdef int typenum = _pair(x, y)
    _pair(residual, y)
    cdef size_t n = cnp.PyArray_SIZE(<cnp.ndarray>x)
    cdef uint8_t *bp = _bits_ptr(bits, n)
    cdef size_t blen = 0
    cdef const void *biasp = NULL
    if bias is not None:
        if not _plain(bias, _FAST_FLAGS):
            raise TypeError("bias must be a C-contiguous, aligned, native-order array")
        if cnp.PyArray_TYPE(<cnp.ndarray>bias) != cnp.PyArray_TYPE(<cnp.ndarray>x):
            raise TypeError("bias and x differ in dtype")
        blen = cnp.PyArray_SIZE(<cnp.ndarray>bias)
        if blen == 0:
            raise ValueError("bias must not be empty")
        biasp = cnp.PyArray_DATA(<cnp.ndarray>bias)
    cdef const void *xp = cnp.PyArray_DATA(<cnp.ndarray>x)
    cdef const void *rp = cnp.PyArray_DATA(<cnp.ndarray>residual)
    cdef void *yp = cnp.PyArray_DATA(<cnp.ndarray>y)
    for name, a in (("x", x), ("residual", residual), ("bias", bias), ("bits", bits)):
        if a is None or not np.may_share_memory(a, y):
            continue
        if (name == "x" or name == "residual") and cnp.PyArray_DATA(<cnp.ndarray>a) == yp:
            continue  # exactly in place (same size and dtype, both C-contiguous)
        raise ValueError(f"y must be {name} itself or not overlap it")
    cdef fd_stream s = fd_stream(key, index, threshold)
    with nogil:
        if typenum == cnp.NPY_FLOAT:
            rc = fd_dropout_add_f32(&s, <const float *>xp, <const float *>rp,
                                    <const float *>biasp, blen, <float *>yp, bp, n,
                                    <float>scale)
        elif typenum == cnp.NPY_DOUBLE:
            rc = fd_dropout_add_f64(&s, <const double *>xp, <const double *>rp,
                                    <const double *>biasp, blen, <double *>yp, bp, n, scale)
        elif typenum == _BF16:
            rc = fd_dropout_add_bf16(&s, <const uint16_t *>xp, <const uint16_t *>rp,
                                     <const uint16_t *>biasp, blen, <uint16_t *>yp, bp, n,
                                     <float>scale)
        else:
            rc = fd_dropout_add_f16(&s, <const uint16_t *>xp, <const uint16_t *>rp,
                                    <const uint16_t *>biasp, blen, <uint16_t *>yp, bp, n,
                                    <float>scale)
    _check(rc)


# ===   The C API table for other extensions (src_c/include/fastdrop/capi.h)   ===

from cpython.pycapsule cimport PyCapsule_New

from fastdrop.capi cimport FD_CAPI_MAJOR, FD_CAPI_MINOR, FD_CAPI_NAME, fd_capi

# Lives as long as this module (extension modules are never unloaded).
cdef fd_capi _capi

_capi.abi_major = FD_CAPI_MAJOR
_capi.abi_minor = FD_CAPI_MINOR
_capi.struct_size = sizeof(fd_capi)
_capi.rng_spec = FD_RNG_SPEC
_capi.normal_spec = FD_NORMAL_SPEC
_capi.key = fd_key
_capi.threshold = fd_threshold
_capi.uniforms = fd_uniforms
_capi.mask_bits = fd_mask_bits
_capi.dropout_f16 = fd_dropout_f16
_capi.dropout_f32 = fd_dropout_f32
_capi.dropout_f64 = fd_dropout_f64
_capi.apply_bits_f16 = fd_apply_bits_f16
_capi.apply_bits_f32 = fd_apply_bits_f32
_capi.apply_bits_f64 = fd_apply_bits_f64
_capi.noise_apply_f16 = fd_noise_apply_f16
_capi.noise_apply_f32 = fd_noise_apply_f32
_capi.noise_apply_f64 = fd_noise_apply_f64
_capi.noise_affine_f16 = fd_noise_affine_f16
_capi.noise_affine_f32 = fd_noise_affine_f32
_capi.noise_affine_f64 = fd_noise_affine_f64
_capi.isa_name = fd_isa_name
_capi.isa_supported = fd_isa_supported
_capi.best_isa = fd_best_isa
_capi.active_isa = fd_active_isa
_capi.set_isa = fd_set_isa
_capi.openmp = fd_openmp
_capi.set_num_threads = fd_set_num_threads
_capi.get_num_threads = fd_get_num_threads
_capi.normals_f64 = fd_normals_f64
_capi.normals_f32 = fd_normals_f32
_capi.gaussian_f64 = fd_gaussian_f64
_capi.gaussian_f32 = fd_gaussian_f32
_capi.normal_words_f64 = fd_normal_words_f64
# minor version 1
_capi.dropout_bf16 = fd_dropout_bf16
_capi.apply_bits_bf16 = fd_apply_bits_bf16
_capi.noise_apply_bf16 = fd_noise_apply_bf16
_capi.noise_affine_bf16 = fd_noise_affine_bf16
_capi.window_mask_bits = fd_window_mask_bits
_capi.window_dropout_f16 = fd_window_dropout_f16
_capi.window_dropout_bf16 = fd_window_dropout_bf16
_capi.window_dropout_f32 = fd_window_dropout_f32
_capi.window_dropout_f64 = fd_window_dropout_f64
# A new kernel (minor version 2 and later) is appended in capi.h and capi.pxd
# and filled in here, and FD_CAPI_MINOR goes up by one.

_C_API = PyCapsule_New(<void *>&_capi, FD_CAPI_NAME, NULL)
