/*
 * Counts heap allocations made by this process (glibc only), so a test can assert that
 * a training step allocates nothing. The counter interposes malloc and friends and
 * forwards to glibc's own entry points.
 */
#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H
#include <stdint.h>
/// 1 when allocations are being counted on this platform, else 0.
int allocation_counter_supported(void);
/// Allocations (malloc, calloc, realloc, aligned) made by the calling thread so far.
uint64_t allocation_counter_value(void);
/// Allocations made by every thread of the process so far.
uint64_t allocation_counter_process_value(void);
#endif
