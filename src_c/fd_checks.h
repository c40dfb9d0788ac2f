/* fd_checks.h -- internal: argument checks shared by the entry points. */
#ifndef FD_CHECKS_H
#define FD_CHECKS_H

#include <stddef.h>
#include "fastdrop.h"

/* FD_ENULL for no stream, FD_EARG for a threshold above 2**32, FD_ERANGE
 * unless elements index .. index + n - 1 all lie below 2**64; else FD_OK.
 * Defined in fd_api.c. */
int fd_check_stream(const fd_stream *s, size_t n);

#endif /* FD_CHECKS_H */
