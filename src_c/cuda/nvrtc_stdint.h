/*
 * nvrtc_stdint.h -- <stdint.h> for NVRTC, which has no C library headers.
 *
 * fastdrop/_gpu/_source.py puts this file where the stream headers include
 * <stdint.h> when it builds the source it hands to NVRTC. Under any other
 * compiler it is the C library's <stdint.h>.
 */
#if defined(__CUDACC_RTC__)
typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
#define INT64_C(c) c##LL
#define UINT32_C(c) c##U
#define UINT64_C(c) c##ULL
#else
#include <stdint.h>
#endif
