// tf2tvm_peak: the FP32 FMA throughput this machine really reaches, on
// THREADS threads at once (default 1), printed as one line:
//
//   GFLOPS ISA THREADS
//
// Each thread runs independent FMA chains in registers (12 vectors, enough to
// cover the FMA latency on every x86 core in use), long enough that the
// clock settles. `tf2tvm tune` reports its "% of peak" against this figure on
// the tune's own thread count: the nominal GHz x FLOP/cycle overstates on CPUs
// that split 512-bit operations into two halves (AMD Zen 4), and under KVM
// the MHz /proc/cpuinfo reports is not the clock the cores run at.
//
// The ISA is chosen when it runs (AVX-512F, else AVX2 with FMA, else SSE
// multiply-add), so one binary measures whichever machine it is copied to.
//
//   tf2tvm_peak [THREADS [SECONDS]]
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 12;

// FLOP done by `iterations` rounds of kChains FMAs of `lanes` floats.
double Flop(long iterations, int lanes) { return 2.0 * iterations * kChains * lanes; }

__attribute__((target("avx512f"))) float ChainsAvx512(long iterations) {
  __m512 acc[kChains];
  const __m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < kChains; i++) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long k = 0; k < iterations; k++) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
  }
  alignas(64) float lanes[16];
  float sum = 0;
  for (int i = 0; i < kChains; i++) {
    _mm512_store_ps(lanes, acc[i]);
    sum += lanes[0];
  }
  return sum;
}

__attribute__((target("avx2,fma"))) float ChainsAvx2(long iterations) {
  __m256 acc[kChains];
  const __m256 b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < kChains; i++) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (long k = 0; k < iterations; k++) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; i++) acc[i] = _mm256_fmadd_ps(acc[i], b, c);
  }
  alignas(32) float lanes[8];
  float sum = 0;
  for (int i = 0; i < kChains; i++) {
    _mm256_store_ps(lanes, acc[i]);
    sum += lanes[0];
  }
  return sum;
}

// No FMA: a multiply and an add, counted as the two FLOP they are.
float ChainsSse(long iterations) {
  __m128 acc[kChains];
  const __m128 b = _mm_set1_ps(1.0000001f), c = _mm_set1_ps(1e-7f);
  for (int i = 0; i < kChains; i++) acc[i] = _mm_set1_ps(static_cast<float>(i));
  for (long k = 0; k < iterations; k++) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; i++) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], b), c);
  }
  alignas(16) float lanes[4];
  float sum = 0;
  for (int i = 0; i < kChains; i++) {
    _mm_store_ps(lanes, acc[i]);
    sum += lanes[0];
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 0.3;
  if (threads < 1 || threads > 4096 || !(seconds > 0 && seconds <= 60)) {
    std::fprintf(stderr, "usage: tf2tvm_peak [THREADS (1-4096) [SECONDS (0-60]]]\n");
    return 2;
  }
  __builtin_cpu_init();
  float (*chains)(long);
  int lanes;
  const char* isa;
  if (__builtin_cpu_supports("avx512f")) {
    chains = ChainsAvx512, lanes = 16, isa = "avx512f";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    chains = ChainsAvx2, lanes = 8, isa = "avx2-fma";
  } else {
    chains = ChainsSse, lanes = 4, isa = "sse";
  }
  using Clock = std::chrono::steady_clock;
  // Calibrate on one thread (which also wakes the clock up), then size the
  // timed run to about `seconds`.
  long iterations = 1 << 20;
  double calibration;
  for (;;) {
    auto t0 = Clock::now();
    volatile float sink = chains(iterations);
    (void)sink;
    calibration = std::chrono::duration<double>(Clock::now() - t0).count();
    if (calibration > 0.02 || iterations > (1L << 40)) break;
    iterations *= 4;
  }
  iterations = static_cast<long>(iterations * (seconds / calibration)) + 1;
  std::vector<double> took(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++) {
    pool.emplace_back([&, t] {
      auto t0 = Clock::now();
      volatile float sink = chains(iterations);
      (void)sink;
      took[t] = std::chrono::duration<double>(Clock::now() - t0).count();
    });
  }
  for (auto& th : pool) th.join();
  // Each thread's own rate, summed: what the threads reach when all run at once.
  double gflops = 0;
  for (double s : took) gflops += Flop(iterations, lanes) / s / 1e9;
  std::printf("%.1f %s %d\n", gflops, isa, threads);
  return 0;
}
