/*
 * ck_vector.h (internal): CK_CLONES marks an elementwise loop to be compiled for
 * AVX-512, x86-64-v3 (AVX2 + FMA) and baseline x86-64 and chosen by the loader (ifunc), so plain C loops
 * get wide vectors without package-wide -march flags. Elsewhere it is empty.
 */
#ifndef CK_VECTOR_H
#define CK_VECTOR_H
/* ThreadSanitizer instruments the clones' ifunc resolvers, which the loader runs before
 * the TSan runtime exists (a crash at start-up): TSan builds use the baseline loops. */
#if defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define CK_NO_CLONES 1
#  endif
#endif
#if defined(__x86_64__) && defined(__linux__) && defined(__clang__) && !defined(CK_NO_CLONES)
#  define CK_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#  define CK_CLONES
#endif
#endif
