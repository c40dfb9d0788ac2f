"""Build the C core and its Cython wrapper as the extension fastdrop._core."""
import os
import tempfile
import warnings
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

OPENMP_PROBE = """
#include <omp.h>
int main(void) { return omp_get_max_threads() > 0 ? 0 : 1; }
"""


class BuildExt(build_ext):
    """Adds OpenMP when the compiler has it, and places the extension in tree.

    OpenMP: a probe program is compiled and linked with -fopenmp; if that
    fails (or FASTDROP_NO_OPENMP=1), the build goes on serial with a warning.

    In tree: the package lives at the top of the checkout, so
    `python -m fastdrop` or `pytest` run there import ./fastdrop rather than
    the installed copy; with the extension beside its sources both see the
    same, freshly built module.
    """

    def _has_openmp(self) -> bool:
        if os.environ.get("FASTDROP_NO_OPENMP") == "1":
            return False
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "probe.c")
            with open(src, "w") as f:
                f.write(OPENMP_PROBE)
            try:
                objs = self.compiler.compile([src], output_dir=tmp, extra_postargs=["-fopenmp"])
                self.compiler.link_executable(
                    objs, "probe", output_dir=tmp, extra_postargs=["-fopenmp"]
                )
            except Exception:  # any compile or link failure means no OpenMP
                return False
        return True

    def build_extensions(self):
        if self._has_openmp():
            for ext in self.extensions:
                ext.extra_compile_args.append("-fopenmp")
                ext.extra_link_args.append("-fopenmp")
        else:
            warnings.warn("building fastdrop without OpenMP: every call runs on one thread")
        super().build_extensions()

    def run(self):
        super().run()
        if not self.inplace:
            self.copy_extensions_to_source()


c_sources = sorted(glob("src_c/*.c") + glob("src_c/kernels/*.c"))

core = Extension(
    "fastdrop._core",
    sources=["fastdrop/_core.pyx", *c_sources],
    include_dirs=["src_c/include", "src_c", np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    # No -march and no global -mavx2: the package must run on any x86-64; the
    # vector kernels sit in target regions and are chosen at run time. No
    # -ffast-math and no FMA contraction: results must be bit-exact.
    extra_compile_args=["-O3", "-std=c99", "-ffp-contract=off"],
)

setup(
    ext_modules=cythonize([core], language_level=3),
    cmdclass={"build_ext": BuildExt},
)
