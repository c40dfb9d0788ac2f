/*
 * fd_dispatch.c -- the kernel table and the choice of the active row.
 *
 * One const table indexed by fd_isa; ISAs whose kernels are not compiled in
 * have an all-NULL row so the indices stay stable. The active row is chosen
 * once, on first use: FASTDROP_ISA if set (an unknown or unsupported name
 * is an error, never a silent fallback), else the best supported ISA.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "fd_cpu.h"
#include "../fd_dispatch.h"

static const fd_kernel_row *const fd_table[FD_ISA_COUNT] = {
    /* scalar */ &fd_kernels_scalar,
    /* avx2   */ &fd_kernels_avx2,
    /* avx512 */ &fd_kernels_avx512,
};

static const unsigned fd_needs[FD_ISA_COUNT] = {
    /* scalar */ 0,
    /* avx2   */ FD_CPU_AVX2,
    /* avx512 */ FD_CPU_AVX512,
};

static const char *const fd_names[FD_ISA_COUNT] = {"scalar", "avx2", "avx512"};

typedef char fd_table_covers_every_isa[(FD_ISA_AVX512 == FD_ISA_COUNT - 1) ? 1 : -1];

/* The choice, in one atomic word so that no reader sees half of it: an ISA
 * index (>= 0), the sticky error of a failed fd_init (FD_EARG or FD_EISA),
 * or FD_UNRESOLVED before the first use. The kernel rows are constant, so
 * the word is all that threads share here. */
#define FD_UNRESOLVED INT_MIN
static atomic_int fd_choice = FD_UNRESOLVED;

const char *fd_isa_name(int isa)
{
    return (isa >= 0 && isa < FD_ISA_COUNT) ? fd_names[isa] : NULL;
}

int fd_isa_supported(int isa)
{
    if (isa < 0 || isa >= FD_ISA_COUNT || fd_table[isa]->dropout_f32 == NULL)
        return 0;
    return (fd_cpu_features() & fd_needs[isa]) == fd_needs[isa];
}

int fd_best_isa(void)
{
    int isa = FD_ISA_COUNT - 1;
    while (isa > 0 && !fd_isa_supported(isa))
        isa--;
    return isa;
}

/* What FASTDROP_ISA, or the CPU, asks for: an ISA index or an error code. */
static int fd_resolve(void)
{
    const char *want = getenv("FASTDROP_ISA");
    if (want == NULL || *want == '\0')
        return fd_best_isa();
    for (int isa = 0; isa < FD_ISA_COUNT; isa++)
        if (strcmp(want, fd_names[isa]) == 0)
            return fd_isa_supported(isa) ? isa : FD_EISA;
    return FD_EARG;
}

/* The current choice, resolved on first use. Racing first calls resolve to
 * the same value; the first to store it wins, and a choice fd_set_isa made
 * meanwhile is kept. */
static int fd_current(void)
{
    int c = atomic_load_explicit(&fd_choice, memory_order_acquire);
    if (c == FD_UNRESOLVED) {
        int expected = FD_UNRESOLVED;
        c = fd_resolve();
        if (!atomic_compare_exchange_strong_explicit(&fd_choice, &expected, c,
                                                     memory_order_acq_rel,
                                                     memory_order_acquire))
            c = expected; /* the value another thread stored first */
    }
    return c;
}

int fd_init(void)
{
    const int c = fd_current();
    return c >= 0 ? FD_OK : c;
}

int fd_active_isa(void)
{
    const int c = fd_current();
    return c >= 0 ? c : -1;
}

int fd_set_isa(int isa)
{
    if (!fd_isa_supported(isa))
        return FD_EISA;
    atomic_store_explicit(&fd_choice, isa, memory_order_release);
    return FD_OK;
}

const fd_kernel_row *fd_active_kernels(void)
{
    const int c = fd_current();
    return c >= 0 ? fd_table[c] : NULL;
}
