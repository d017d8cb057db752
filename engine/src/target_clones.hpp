// Builds a hot function three times, for AVX-512 (x86-64-v4), AVX2 and any
// x86-64, and picks one when the program loads (GCC's target_clones). All
// give the same results: only integer code, or code whose rounding cannot
// change an outcome (the screen's bounds have margins far above it), may
// use it. The AVX-512 version of the lifecycle words is 2.2 times as fast
// as the AVX2 one on the development machine (AMD Zen 5).
#pragma once

// ThreadSanitizer instruments the ifunc resolver that target_clones makes,
// and the resolver runs before TSan is set up (the program crashes at load):
// one version only in TSan builds.
#if defined(__SANITIZE_THREAD__) || !defined(__x86_64__)
#define CRMSIM_TARGET_CLONES
#else
#define CRMSIM_TARGET_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
