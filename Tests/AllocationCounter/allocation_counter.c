/*
 * Interposes the allocation functions of the test process (glibc): each call bumps an
 * atomic counter and forwards to glibc's __libc_* implementation. Elsewhere, and under
 * AddressSanitizer or ThreadSanitizer, it only reports that counting is unsupported.
 */
#include "allocation_counter.h"
#include <stddef.h>
#include <errno.h>

#if defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#    define CK_TEST_SANITIZED 1   /* the sanitizer owns malloc: interposing it crashes at start-up */
#  endif
#endif

#if defined(__linux__) && defined(__GLIBC__) && !defined(CK_TEST_SANITIZED)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

/* Per thread: Swift Testing runs other tests in parallel on other threads. And for the
   whole process (a benchmark's multi-threaded step, whose workers allocate on their own
   threads), relaxed: only totals are read. */
static _Thread_local uint64_t count;
static uint64_t process_count;

static void bump(void) { count++; __atomic_fetch_add(&process_count, 1, __ATOMIC_RELAXED); }

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

int allocation_counter_supported(void) { return 1; }
uint64_t allocation_counter_value(void) { return count; }
uint64_t allocation_counter_process_value(void) { return __atomic_load_n(&process_count, __ATOMIC_RELAXED); }
#else
int allocation_counter_supported(void) { return 0; }
uint64_t allocation_counter_value(void) { return 0; }
uint64_t allocation_counter_process_value(void) { return 0; }
#endif
