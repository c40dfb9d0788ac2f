/* dropout_ext: a small C extension using fastdrop's C API.
 *
 *     dropout_ext.dropout_f32(x, y, seed, offset, p)
 *
 * writes into y (a writable float32 buffer) the dropout of x (a float32
 * buffer of the same size): the bits fastdrop.dropout(x, p, seed=seed,
 * offset=offset) gives. Build with fastdrop.get_include() on the include
 * path; no fastdrop library is linked. */
#define PY_SSIZE_T_CLEAN
#include "fastdrop/capi.h"

static const fd_capi *fd; /* fastdrop's table, taken once at import */

static PyObject *dropout_f32(PyObject *self, PyObject *args)
{
    Py_buffer x, y;
    unsigned long long seed, offset;
    double p;
    if (!PyArg_ParseTuple(args, "y*w*KKd", &x, &y, &seed, &offset, &p))
        return NULL;
    int rc = FD_EARG;
    if (x.len == y.len && x.len % sizeof(float) == 0) {
        fd_stream s = {fd->key(seed), offset, 0};
        rc = fd->threshold(p, &s.threshold); /* FD_EARG unless 0 <= p <= 1 */
        if (rc == FD_OK) {
            const float scale = p == 1.0 ? 0.0f : (float)(1.0 / (1.0 - p));
            Py_BEGIN_ALLOW_THREADS /* the kernels need no GIL */
            rc = fd->dropout_f32(&s, x.buf, y.buf, NULL, (size_t)x.len / sizeof(float), scale,
                                 FD_SCALE);
            Py_END_ALLOW_THREADS
        }
    }
    PyBuffer_Release(&x);
    PyBuffer_Release(&y);
    if (rc != FD_OK)
        return PyErr_Format(PyExc_ValueError, "dropout_f32 failed with fastdrop status %d", rc);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"dropout_f32", dropout_f32, METH_VARARGS, "dropout_f32(x, y, seed, offset, p)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, .m_name = "dropout_ext",
                                    .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit_dropout_ext(void)
{
    fd = fd_capi_import(); /* ImportError if fastdrop's table has another version */
    if (fd == NULL)
        return NULL;
    return PyModule_Create(&module);
}
