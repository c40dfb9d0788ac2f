"""Build the C core and its Cython wrapper as the extension fastdrop._core."""
import os
import sys
import tempfile
import warnings
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

# The one list of C sources and flags (c_core.py, beside this file), which
# build isolation does not put on sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import c_core  # noqa: E402

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

    Sanitizers: FASTDROP_SANITIZE=address,undefined (any -fsanitize= list)
    builds with those checks, -O1 and frame pointers (see .ci/sanitize). Such
    an extension only loads with the sanitizer runtime preloaded, so it is
    never copied into the tree, and a change of FASTDROP_SANITIZE between
    two builds in one tree rebuilds everything.
    """

    def _sanitize(self) -> str:
        return os.environ.get("FASTDROP_SANITIZE", "").strip()

    def _flavour_changed(self) -> bool:
        """Records FASTDROP_SANITIZE in build_temp; True if the last build differed."""
        stamp = os.path.join(self.build_temp, "fastdrop-sanitize.txt")
        old = open(stamp).read() if os.path.exists(stamp) else ""
        os.makedirs(self.build_temp, exist_ok=True)
        with open(stamp, "w") as f:
            f.write(self._sanitize())
        return old != self._sanitize()

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
        san = self._sanitize()
        if san:
            # -fno-wrapv undoes Python's -fwrapv so that signed overflow is reported.
            flags = [f"-fsanitize={san}", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
                     "-g", "-O1", "-fno-wrapv"]
            for ext in self.extensions:
                ext.extra_compile_args.extend(flags)
                ext.extra_link_args.extend(flags)
        if self._flavour_changed():
            self.force = True
        super().build_extensions()

    def run(self):
        super().run()
        if not self.inplace and not self._sanitize():
            self.copy_extensions_to_source()


class BuildPy(build_py):
    """Ships the CUDA source of the GPU path inside the package.

    fastdrop/_gpu hands NVRTC the text of src_c/cuda/kernels.cu with the
    stream headers it includes (src_c/include/fastdrop/*.h); an installed
    package finds them in fastdrop/_gpu/cuda/ (a source checkout reads
    src_c/ directly, so no copy is kept in the tree).

    It also ships the public C headers (src_c/include: fastdrop.h,
    fastdrop_normal.h and fastdrop/*.h, capi.h among them) as
    fastdrop/include/, the folder fastdrop.get_include() names, for
    extensions built against the C API.
    """

    def run(self):
        super().run()
        for dest, files in ((os.path.join(self.build_lib, "fastdrop", "_gpu", "cuda"), GPU_SOURCES),
                            (os.path.join(self.build_lib, "fastdrop", "include"), PUBLIC_HEADERS)):
            for src, rel in files:
                self.mkpath(os.path.dirname(os.path.join(dest, rel)))
                self.copy_file(src, os.path.join(dest, rel))


GPU_SOURCES = [("src_c/cuda/kernels.cu", "kernels.cu"),
               ("src_c/cuda/nvrtc_stdint.h", "nvrtc_stdint.h")] + [
    (h, os.path.join("include", "fastdrop", os.path.basename(h)))
    for h in sorted(glob("src_c/include/fastdrop/*.h"))
]

PUBLIC_HEADERS = [(h, os.path.relpath(h, "src_c/include"))
                  for h in sorted(glob("src_c/include/*.h") + glob("src_c/include/fastdrop/*.h"))]

core = Extension(
    "fastdrop._core",
    sources=["fastdrop/_core.pyx", *c_core.sources()],
    include_dirs=[*c_core.INCLUDE_DIRS, np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    # No -march and no global -mavx2: the package must run on any x86-64; the
    # vector kernels sit in target regions and are chosen at run time. No
    # -ffast-math: results must be bit-exact (c_core.CFLAGS turns FMA
    # contraction off).
    extra_compile_args=["-O3", *c_core.CFLAGS],
)

setup(
    ext_modules=cythonize([core], language_level=3),
    cmdclass={"build_ext": BuildExt, "build_py": BuildPy},
)
