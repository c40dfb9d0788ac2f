"""Build the C core and its Cython wrapper as the extension fastdrop._core."""
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class BuildExtAlsoInTree(build_ext):
    """Also place the built extension in the source package.

    The package lives at the top of the checkout, so `python -m fastdrop` or
    `pytest` run there import ./fastdrop rather than the installed copy; with
    the extension beside its sources both see the same, freshly built module.
    """

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
    # No -march and no -ffast-math: the package must run on any x86-64 and
    # give bit-exact results; no FMA contraction, for the same reason.
    extra_compile_args=["-O3", "-std=c99", "-ffp-contract=off"],
)

setup(
    ext_modules=cythonize([core], language_level=3),
    cmdclass={"build_ext": BuildExtAlsoInTree},
)
