/*
 * fdprobe: a C extension that calls fastdrop's kernels through the C API
 * table (fastdrop/capi.h), linked against nothing of fastdrop. Build it
 * with fastdrop.get_include() on the include path; tests/test_capi.py does
 * and compares its results with fastdrop's Python API bit for bit.
 */
#define PY_SSIZE_T_CLEAN
#include "fastdrop/capi.h"

#include <string.h>

static const fd_capi *fd; /* set once, at module init */

/* A C-contiguous buffer of obj (writable if asked), with its format. */
static int get_buffer(PyObject *obj, Py_buffer *view, int writable)
{
    int flags = PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    return PyObject_GetBuffer(obj, view, flags);
}

/* 'e', 'f' or 'd' for float16, float32, float64 buffers; 0 otherwise. */
static char float_kind(const Py_buffer *v)
{
    const char *f = v->format ? v->format : "B";
    if (f[0] == '=' || f[0] == '<' || f[0] == '@')
        f++;
    return (f[1] == 0 && (f[0] == 'e' || f[0] == 'f' || f[0] == 'd')) ? f[0] : 0;
}

static PyObject *status_error(int rc)
{
    PyErr_Format(PyExc_ValueError, "fastdrop returned status %d", rc);
    return NULL;
}

/* dropout(x, y, seed, offset, p) -> bytes: y = dropout of x (inverted
 * scaling), returns the packed keep bits. */
static PyObject *dropout(PyObject *self, PyObject *args)
{
    PyObject *xo, *yo;
    unsigned long long seed, offset;
    double p;
    if (!PyArg_ParseTuple(args, "OOKKd", &xo, &yo, &seed, &offset, &p))
        return NULL;
    Py_buffer x, y;
    if (get_buffer(xo, &x, 0) < 0)
        return NULL;
    if (get_buffer(yo, &y, 1) < 0) {
        PyBuffer_Release(&x);
        return NULL;
    }
    PyObject *result = NULL;
    const char kind = float_kind(&x);
    const size_t n = (size_t)(x.len / (x.itemsize ? x.itemsize : 1));
    fd_stream s = {fd->key(seed), offset, 0};
    int rc = fd->threshold(p, &s.threshold);
    if (kind == 0 || float_kind(&y) != kind || y.len != x.len) {
        PyErr_SetString(PyExc_TypeError, "x and y must be float buffers of one type and size");
    } else if (rc != FD_OK) {
        status_error(rc);
    } else {
        result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)((n + 7) / 8));
        if (result != NULL) {
            uint8_t *bits = (uint8_t *)PyBytes_AS_STRING(result);
            const double scale = p == 1.0 ? 0.0 : 1.0 / (1.0 - p);
            Py_BEGIN_ALLOW_THREADS
            if (kind == 'e')
                rc = fd->dropout_f16(&s, x.buf, y.buf, bits, n, (float)scale, FD_SCALE);
            else if (kind == 'f')
                rc = fd->dropout_f32(&s, x.buf, y.buf, bits, n, (float)scale, FD_SCALE);
            else
                rc = fd->dropout_f64(&s, x.buf, y.buf, bits, n, scale, FD_SCALE);
            Py_END_ALLOW_THREADS
            if (rc != FD_OK) {
                Py_CLEAR(result);
                status_error(rc);
            }
        }
    }
    PyBuffer_Release(&x);
    PyBuffer_Release(&y);
    return result;
}

/* apply_bits(bits, x, y, scale): y = x * scale where bits keep, else 0. */
static PyObject *apply_bits(PyObject *self, PyObject *args)
{
    Py_buffer bits, x, y;
    PyObject *xo, *yo;
    double scale;
    if (!PyArg_ParseTuple(args, "y*OOd", &bits, &xo, &yo, &scale))
        return NULL;
    if (get_buffer(xo, &x, 0) < 0) {
        PyBuffer_Release(&bits);
        return NULL;
    }
    if (get_buffer(yo, &y, 1) < 0) {
        PyBuffer_Release(&bits);
        PyBuffer_Release(&x);
        return NULL;
    }
    PyObject *result = NULL;
    const char kind = float_kind(&x);
    const size_t n = (size_t)(x.len / (x.itemsize ? x.itemsize : 1));
    if (kind == 0 || float_kind(&y) != kind || y.len != x.len || (size_t)bits.len < (n + 7) / 8) {
        PyErr_SetString(PyExc_TypeError, "x, y and bits do not fit");
    } else {
        int rc;
        Py_BEGIN_ALLOW_THREADS
        if (kind == 'e')
            rc = fd->apply_bits_f16(bits.buf, x.buf, y.buf, n, (float)scale, FD_SCALE);
        else if (kind == 'f')
            rc = fd->apply_bits_f32(bits.buf, x.buf, y.buf, n, (float)scale, FD_SCALE);
        else
            rc = fd->apply_bits_f64(bits.buf, x.buf, y.buf, n, scale, FD_SCALE);
        Py_END_ALLOW_THREADS
        result = rc == FD_OK ? Py_NewRef(Py_None) : status_error(rc);
    }
    PyBuffer_Release(&bits);
    PyBuffer_Release(&x);
    PyBuffer_Release(&y);
    return result;
}

/* uniforms(seed, offset, u): u (a uint32 buffer) = the 32-bit uniforms. */
static PyObject *uniforms(PyObject *self, PyObject *args)
{
    unsigned long long seed, offset;
    Py_buffer u;
    if (!PyArg_ParseTuple(args, "KKw*", &seed, &offset, &u))
        return NULL;
    fd_stream s = {fd->key(seed), offset, FD_KEEP_ALL};
    const int rc = fd->uniforms(&s, u.buf, (size_t)u.len / 4);
    PyBuffer_Release(&u);
    return rc == FD_OK ? Py_NewRef(Py_None) : status_error(rc);
}

/* gaussian(x, y, seed, offset, sigma): y = x * (1 + sigma * z), float32 or float64. */
static PyObject *gaussian(PyObject *self, PyObject *args)
{
    PyObject *xo, *yo;
    unsigned long long seed, offset;
    double sigma;
    if (!PyArg_ParseTuple(args, "OOKKd", &xo, &yo, &seed, &offset, &sigma))
        return NULL;
    Py_buffer x, y;
    if (get_buffer(xo, &x, 0) < 0)
        return NULL;
    if (get_buffer(yo, &y, 1) < 0) {
        PyBuffer_Release(&x);
        return NULL;
    }
    PyObject *result = NULL;
    const char kind = float_kind(&x);
    if ((kind != 'f' && kind != 'd') || float_kind(&y) != kind || y.len != x.len) {
        PyErr_SetString(PyExc_TypeError, "x and y must be float32 or float64 of one size");
    } else {
        const size_t n = (size_t)(x.len / x.itemsize);
        const uint64_t key = fd->key(seed);
        int rc = kind == 'f' ? fd->gaussian_f32(key, offset, x.buf, y.buf, n, (float)sigma)
                             : fd->gaussian_f64(key, offset, x.buf, y.buf, n, sigma);
        result = rc == FD_OK ? Py_NewRef(Py_None) : status_error(rc);
    }
    PyBuffer_Release(&x);
    PyBuffer_Release(&y);
    return result;
}

/* set_isa(i), active_isa(), set_num_threads(n), get_num_threads(): the
 * kernel and thread state of fastdrop itself. */
static PyObject *set_isa(PyObject *self, PyObject *arg)
{
    int isa;
    if (!PyArg_Parse(arg, "i", &isa))
        return NULL;
    const int rc = fd->set_isa(isa);
    return rc == FD_OK ? Py_NewRef(Py_None) : status_error(rc);
}

static PyObject *active_isa(PyObject *self, PyObject *unused)
{
    return PyUnicode_FromString(fd->isa_name(fd->active_isa()));
}

static PyObject *set_num_threads(PyObject *self, PyObject *arg)
{
    int n;
    if (!PyArg_Parse(arg, "i", &n))
        return NULL;
    const int rc = fd->set_num_threads(n);
    return rc == FD_OK ? Py_NewRef(Py_None) : status_error(rc);
}

static PyObject *get_num_threads(PyObject *self, PyObject *unused)
{
    return PyLong_FromLong(fd->get_num_threads());
}

/* info() -> (abi_major, abi_minor, struct_size, sizeof here, rng_spec, normal_spec). */
static PyObject *info(PyObject *self, PyObject *unused)
{
    return Py_BuildValue("IInnss", (unsigned)fd->abi_major, (unsigned)fd->abi_minor,
                         (Py_ssize_t)fd->struct_size, (Py_ssize_t)sizeof(fd_capi),
                         fd->rng_spec, fd->normal_spec);
}

/* import_version(major, minor, size): True, or the import's exception. */
static PyObject *import_version(PyObject *self, PyObject *args)
{
    unsigned major, minor;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "IIn", &major, &minor, &size))
        return NULL;
    if (fd_capi_import_version(major, minor, (size_t)size) == NULL)
        return NULL;
    Py_RETURN_TRUE;
}

static PyMethodDef methods[] = {
    {"dropout", dropout, METH_VARARGS, "dropout(x, y, seed, offset, p) -> packed keep bits"},
    {"apply_bits", apply_bits, METH_VARARGS, "apply_bits(bits, x, y, scale)"},
    {"uniforms", uniforms, METH_VARARGS, "uniforms(seed, offset, u)"},
    {"gaussian", gaussian, METH_VARARGS, "gaussian(x, y, seed, offset, sigma)"},
    {"set_isa", set_isa, METH_O, "set_isa(index)"},
    {"active_isa", active_isa, METH_NOARGS, "active_isa() -> name"},
    {"set_num_threads", set_num_threads, METH_O, "set_num_threads(n)"},
    {"get_num_threads", get_num_threads, METH_NOARGS, "get_num_threads() -> int"},
    {"info", info, METH_NOARGS, "info() -> the table's version, sizes and stream names"},
    {"import_version", import_version, METH_VARARGS, "import_version(major, minor, size)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, .m_name = "fdprobe", .m_size = -1,
                                    .m_methods = methods};

PyMODINIT_FUNC PyInit_fdprobe(void)
{
    fd = fd_capi_import(); /* imports fastdrop._core; ImportError on a version mismatch */
    if (fd == NULL)
        return NULL;
    return PyModule_Create(&module);
}
