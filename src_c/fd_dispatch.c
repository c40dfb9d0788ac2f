/*
 * fd_dispatch.c -- the kernel table and the choice of the active row.
 *
 * One const table indexed by fd_isa; ISAs whose kernels are not compiled in
 * have an all-NULL row so the indices stay stable. The active row is chosen
 * once, on first use: FASTDROP_ISA if set (an unknown or unsupported name
 * is an error, never a silent fallback), else the best supported ISA.
 */
#include <stdlib.h>
#include <string.h>
#include "fd_cpu.h"
#include "fd_dispatch.h"

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

/* -1 until resolved; racing first calls resolve to the same value. */
static volatile int fd_active = -1;
static volatile int fd_status = FD_OK;

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

int fd_init(void)
{
    if (fd_active >= 0 || fd_status != FD_OK)
        return fd_status;
    const char *want = getenv("FASTDROP_ISA");
    if (want == NULL || *want == '\0') {
        fd_active = fd_best_isa();
        return FD_OK;
    }
    for (int isa = 0; isa < FD_ISA_COUNT; isa++) {
        if (strcmp(want, fd_names[isa]) == 0) {
            if (!fd_isa_supported(isa))
                return fd_status = FD_EISA;
            fd_active = isa;
            return FD_OK;
        }
    }
    return fd_status = FD_EARG;
}

int fd_active_isa(void)
{
    return fd_init() == FD_OK ? fd_active : -1;
}

int fd_set_isa(int isa)
{
    if (!fd_isa_supported(isa))
        return FD_EISA;
    fd_status = FD_OK;
    fd_active = isa;
    return FD_OK;
}

const fd_kernel_row *fd_active_kernels(void)
{
    return fd_init() == FD_OK ? fd_table[fd_active] : NULL;
}
