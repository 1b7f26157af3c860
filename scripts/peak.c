// The FP32 FMA peak one core really reaches: independent AVX-512 (or AVX2)
// FMA chains in registers, long enough that the clock settles. Printed in
// GFLOP/s. Used by scripts/bench-peak for the "% of peak" columns of
// docs/performance.md (the nominal GHz x FLOP/cycle overstates on CPUs
// that split 512-bit operations, e.g. AMD Zen 4, or whose reported MHz is
// not the clock they run at, e.g. under KVM).
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define CHAINS 12

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void) {
#if defined(__AVX512F__)
  typedef __m512 vec;
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define LANES 16
#else
  typedef __m256 vec;
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define LANES 8
#endif
  vec acc[CHAINS];
  const vec b = SET1(1.0000001f), c = SET1(1e-7f);
  for (int i = 0; i < CHAINS; i++) acc[i] = SET1((float)i);
  const long n = 100000000;
  double t0 = now();
  for (long k = 0; k < n; k++)
    for (int i = 0; i < CHAINS; i++) acc[i] = FMA(acc[i], b, c);
  double s = now() - t0;
  float sink = 0;
  float lanes[LANES];
  for (int i = 0; i < CHAINS; i++) {
    *(vec *)lanes = acc[i];
    sink += lanes[0];
  }
  printf("%.1f %g\n", (double)n * CHAINS * LANES * 2 / s / 1e9, (double)sink * 0);
  return 0;
}
