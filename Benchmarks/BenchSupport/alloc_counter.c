/*
 * Counts the heap allocations of the benchmark process (glibc): each call bumps a
 * thread-local counter and forwards to glibc's __libc_* implementation. Same approach as
 * Tests/AllocationCounter (kept separate: benchmarks and tests are separate products).
 * Elsewhere it only reports that counting is unsupported.
 */
#include "bench_support.h"
#include <stddef.h>
#include <errno.h>

#if defined(__linux__) && defined(__GLIBC__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

/* Per thread: the training step runs on the calling thread; other threads don't count. */
static _Thread_local uint64_t count;

static void bump(void) { count++; }

void *malloc(size_t n) { bump(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { bump(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { bump(); return __libc_realloc(p, n); }
void *aligned_alloc(size_t a, size_t n) { bump(); return __libc_memalign(a, n); }
void *memalign(size_t a, size_t n) { bump(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    bump();
    void *p = __libc_memalign(a, n);
    if (!p && n) return ENOMEM;
    *out = p;
    return 0;
}

int bench_alloc_counter_supported(void) { return 1; }
uint64_t bench_alloc_count(void) { return count; }
#else
int bench_alloc_counter_supported(void) { return 0; }
uint64_t bench_alloc_count(void) { return 0; }
#endif
