"""What every kernel shares: numba options, and prefetching for large places."""

from __future__ import annotations

import numpy as np  # noqa: F401
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_JIT = {"cache": True, "nogil": True}

# Prefetching: at large sizes the per-resident arrays that edge loops read at random (8 bytes x n)
# no longer fit the core's cache, and each such read waits on memory. Kernels then ask for the
# entry needed PREFETCH_AHEAD edges later. Below PREFETCH_MIN_RESIDENTS (arrays of ~2 MB) the data
# is in cache and the extra instructions only cost time (measured on this project's 2-core AMD
# EPYC machines: at 1M residents, contact along ties went from ~17 to ~11 ns an edge; at 10k,
# prefetching made it ~20% slower).
PREFETCH_MIN_RESIDENTS = 250_000
PREFETCH_AHEAD = 16


@intrinsic
def _move(typingctx, arr, src, dst, count):
    """Move ``arr[src:src + count]`` to ``arr[dst:dst + count]`` (the ranges may overlap) with one
    memmove: shifting a run of edges this way is ~5x faster than a loop."""
    sig = types.void(arr, types.intp, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        a = context.make_array(signature.args[0])(context, builder, args[0])
        itemsize = context.get_abi_sizeof(context.get_data_type(signature.args[0].dtype))
        cgutils.raw_memmove(builder, cgutils.gep(builder, a.data, args[2]),
                            cgutils.gep(builder, a.data, args[1]), args[3], itemsize)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Hint that ``arr[idx]`` will be used soon (LLVM's prefetch, asked for writing, which also
    serves reads); no effect on results."""
    sig = types.void(arr, types.intp)

    def codegen(context, builder, signature, args):
        a = context.make_array(signature.args[0])(context, builder, args[0])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0i8")
        ptr = builder.bitcast(cgutils.gep(builder, a.data, args[1]), i8p)
        builder.call(fn, [ptr, i32(1), i32(3), i32(1)])  # for writing, keep in all caches, data
        return context.get_dummy_value()

    return sig, codegen


@njit(**_JIT)
def _prefetch_distance(n, E):
    """How many edges ahead a loop over ``E`` edges prefetches per-resident entries (``n``
    residents): ``PREFETCH_AHEAD`` from ``PREFETCH_MIN_RESIDENTS`` on, else ``E`` (never)."""
    return PREFETCH_AHEAD if n >= PREFETCH_MIN_RESIDENTS else E


