/*
 * fd_dispatch.c -- the kernel table and the choice of the active row.
 *
 * One const table indexed by fd_isa; ISAs whose kernels are not compiled in
 * have an all-NULL row so the indices stay stable.
 */
#include "fd_dispatch.h"

static const fd_kernel_row fd_no_kernels; /* all NULL */

static const fd_kernel_row *const fd_table[FD_ISA_COUNT] = {
    /* scalar */ &fd_kernels_scalar,
    /* avx2   */ &fd_no_kernels,
    /* avx512 */ &fd_no_kernels,
};

typedef char fd_table_covers_every_isa[(FD_ISA_AVX512 == FD_ISA_COUNT - 1) ? 1 : -1];

static int fd_active = FD_ISA_SCALAR;

static const char *const fd_names[FD_ISA_COUNT] = {"scalar", "avx2", "avx512"};

const char *fd_isa_name(int isa)
{
    return (isa >= 0 && isa < FD_ISA_COUNT) ? fd_names[isa] : NULL;
}

int fd_isa_supported(int isa)
{
    if (isa < 0 || isa >= FD_ISA_COUNT)
        return 0;
    return fd_table[isa]->dropout_f32 != NULL;
}

int fd_active_isa(void)
{
    return fd_active;
}

int fd_set_isa(int isa)
{
    if (!fd_isa_supported(isa))
        return FD_EISA;
    fd_active = isa;
    return FD_OK;
}

const fd_kernel_row *fd_active_kernels(void)
{
    return fd_table[fd_active];
}
