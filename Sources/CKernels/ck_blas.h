/*
 * ck_blas.h (internal): the system BLAS behind CK_ISA_BLAS. OpenBLAS on Linux (its
 * <cblas.h> also declares openblas_set_num_threads); Apple's Accelerate on macOS, whose
 * BLAS manages its own threads.
 */
#ifndef CK_BLAS_H
#define CK_BLAS_H
#if defined(__APPLE__)
#  define ACCELERATE_NEW_LAPACK
#  include <Accelerate/Accelerate.h>
#  define ck_blas_threads(n) ((void)(n))
#else
#  include <cblas.h>
#  define ck_blas_threads(n) openblas_set_num_threads(n)
#endif
#endif
