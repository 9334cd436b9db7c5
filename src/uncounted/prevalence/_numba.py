"""numba for the compiled kernels, loaded without SciPy's whole linear-algebra package.

When numba sets up its CPU target (the first compiled or cached function it loads), its
``numba.np.arraymath`` checks that BLAS and LAPACK are there with ``import
scipy.linalg.cython_blas`` and ``scipy.linalg.cython_lapack``. Importing those submodules
the usual way first runs ``scipy/linalg/__init__.py``, which imports every solver,
decomposition and SciPy's array-API layer: about 0.09 CPU-s and 10 MB that an LCMCR chain or
a log-linear fit never uses (the kernels here call no BLAS routine), in a command that costs
about 1.4 CPU-s as a whole process.

:func:`load_blas_wrappers` loads the two compiled wrapper modules on their own, under their
own names, when this module is imported (before any kernel is compiled or loaded from the
cache, which is when numba runs the check): the check then finds them in ``sys.modules`` and
the package stays unloaded. They are the same extension modules, so numba's BLAS/LAPACK
calls (if a kernel ever makes one) go through the same function pointers, and a later
``import scipy.linalg`` imports the package as usual and reuses them. The one difference: the
package has no ``cython_blas`` attribute until something runs ``import
scipy.linalg.cython_blas`` (the import statement binds it from ``sys.modules``), which is
how SciPy's own Cython modules reach them.

If SciPy or the modules cannot be found here, nothing is loaded and numba imports them its
own way.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys

WRAPPERS = ("scipy.linalg.cython_blas", "scipy.linalg.cython_lapack")


def load_blas_wrappers() -> None:
    """Load SciPy's BLAS and LAPACK wrapper modules without the ``scipy.linalg`` package."""
    if "scipy.linalg" in sys.modules:  # the package is loaded already: nothing to save
        return
    try:
        import scipy
    except ImportError:  # pragma: no cover - SciPy is a core dependency
        return
    folders = [f"{folder}/linalg" for folder in scipy.__path__]
    for name in WRAPPERS:
        if name in sys.modules:
            continue
        spec = importlib.machinery.PathFinder.find_spec(name, folders)
        if spec is None or spec.loader is None:  # pragma: no cover - an unusual SciPy build
            return
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:  # pragma: no cover - leave numba to import it its own way
            del sys.modules[name]
            raise


load_blas_wrappers()

from numba import njit  # noqa: E402  (after the wrappers, on purpose)

__all__ = ["WRAPPERS", "load_blas_wrappers", "njit"]
