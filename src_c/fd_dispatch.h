/* fd_dispatch.h -- internal: the active kernel row. */
#ifndef FD_DISPATCH_H
#define FD_DISPATCH_H

#include "kernels/fd_kernels.h"

const fd_kernel_row *fd_active_kernels(void);

#endif /* FD_DISPATCH_H */
