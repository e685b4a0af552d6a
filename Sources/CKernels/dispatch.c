/*
 * dispatch.c: CPU detection and the process-wide choice of GEMM variant.
 *
 * The native ISA is detected once (pthread_once) with __builtin_cpu_supports on x86-64,
 * which also checks that the OS saves the wide registers. The active ISA is one atomic
 * int, CK_ISA_AUTO by default, so ck_sgemm may run on many threads while another sets it.
 * arm64 has no NEON kernel yet: it reports scalar, and CK_ISA_NEON is unavailable.
 */
#include <pthread.h>
#include "ck_blas.h"

#include "ckernels.h"
#include "ck_internal.h"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_native = CK_ISA_SCALAR;  /* written once inside pthread_once */
static unsigned g_available = 0;      /* bit i set: ck_isa i runs here */
static int g_active = CK_ISA_AUTO;    /* accessed only with __atomic builtins */

static void detect(void) {
    unsigned avail = (1u << CK_ISA_SCALAR) | (1u << CK_ISA_BLAS) | (1u << CK_ISA_AUTO);
    int native = CK_ISA_SCALAR;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        avail |= 1u << CK_ISA_AVX2;
        native = CK_ISA_AVX2;
    }
    if (__builtin_cpu_supports("avx512f")) {
        avail |= 1u << CK_ISA_AVX512;
        native = CK_ISA_AVX512;
    }
#endif
    g_native = native;
    g_available = avail;
    /* We parallelise above GEMM; OpenBLAS threads would oversubscribe the cores. */
    ck_blas_threads(1);
}

void ck_dispatch_init(void) { pthread_once(&g_once, detect); }

ck_isa ck_native_isa(void) {
    ck_dispatch_init();
    return (ck_isa)g_native;
}

ck_isa ck_active_isa(void) {
    ck_dispatch_init();
    return (ck_isa)__atomic_load_n(&g_active, __ATOMIC_RELAXED);
}

int ck_isa_available(ck_isa isa) {
    ck_dispatch_init();
    if ((unsigned)isa > CK_ISA_AUTO) return 0;
    return (g_available >> (unsigned)isa) & 1u;
}

int ck_set_active_isa(ck_isa isa) {
    if (!ck_isa_available(isa)) return 0;
    __atomic_store_n(&g_active, (int)isa, __ATOMIC_RELAXED);
    return 1;
}

const char *ck_isa_name(ck_isa isa) {
    switch (isa) {
    case CK_ISA_SCALAR: return "scalar";
    case CK_ISA_AVX2: return "avx2";
    case CK_ISA_AVX512: return "avx512";
    case CK_ISA_NEON: return "neon";
    case CK_ISA_BLAS: return "openblas";
    case CK_ISA_AUTO: return "auto";
    }
    return "unknown";
}

void ck_blas_set_threads(int threads) {
    ck_dispatch_init();
    ck_blas_threads(threads < 1 ? 1 : threads);
}
