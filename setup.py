"""Build the C core and its Cython wrapper as the extension fastdrop._core."""
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

c_sources = sorted(glob("src_c/*.c") + glob("src_c/kernels/*.c"))

core = Extension(
    "fastdrop._core",
    sources=["fastdrop/_core.pyx", *c_sources],
    include_dirs=["src_c/include", "src_c", np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    # No -march and no -ffast-math: the package must run on any x86-64 and
    # give bit-exact results; no FMA contraction, for the same reason.
    extra_compile_args=["-O3", "-std=c99", "-ffp-contract=off"],
)

setup(ext_modules=cythonize([core], language_level=3))
