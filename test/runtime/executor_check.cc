// TensorFlow-free checks of runtime/: SHA-256 against the FIPS 180-2 test
// vectors, and the executor's staging path for buffers that are not 64-byte
// aligned. TensorFlow's CPU allocator always hands the kernel 64-byte-aligned
// buffers, so that path cannot be reached from a TF graph; here it is driven
// directly, alternating with the zero-copy path on the same executor. And
// the parallel-loop launcher, with a task pool that counts what it runs.
//
//   executor_check DENSE_B4_SO ALIASING_SO DENSE_WIDE_SO
//
// dense_b4: in0 float32[4,8] -> float32[4,4]; dense_wide: in0 float32[64,128]
// -> float32[64,256]. aliasing: see build_tiny.py.
// Prints one line per check; exits 1 on the first failure.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sha256.h"
#include "tvm_executor.h"

namespace {

void Require(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    std::exit(1);
  }
}

std::string HexOf(const std::string& data, size_t chunk) {
  tf2tvm::Sha256 hasher;
  for (size_t at = 0; at < data.size(); at += chunk) {
    hasher.Update(data.data() + at, std::min(chunk, data.size() - at));
  }
  return hasher.FinishHex();
}

void CheckSha256() {
  Require(HexOf("", 1) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "sha256('')");
  Require(HexOf("abc", 1) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
          "sha256('abc')");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Require(
      HexOf(two_blocks, 7) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
      "sha256(448-bit message)");
  // A million 'a' in uneven chunks exercises the block-straddling path.
  Require(HexOf(std::string(1000000, 'a'), 1000) ==
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
          "sha256(10^6 x 'a')");
  std::printf("ok sha256 test vectors\n");
}

// A buffer whose data starts `offset` bytes past a 64-byte boundary.
struct Buffer {
  Buffer(size_t bytes, size_t offset) : base(std::aligned_alloc(64, bytes + 128)) {
    data = static_cast<char*>(base) + offset;
  }
  ~Buffer() { std::free(base); }
  float* f() { return reinterpret_cast<float*>(data); }
  void* base;
  char* data;
};

tf2tvm::TensorSpec F32(std::vector<int64_t> shape) { return {{kDLFloat, 32, 1}, shape}; }

void CheckStaging(const std::string& dense_path, bool allow_zero_copy) {
  std::string error;
  auto exec = tf2tvm::GraphExecutor::Load(dense_path, {F32({4, 8})}, {F32({4, 4})}, allow_zero_copy,
                                          &error);
  Require(exec != nullptr, "load dense_b4: " + error);

  // Same input through aligned and misaligned buffers, several rounds with
  // different data, on one executor: results must be bit-identical.
  for (int round = 0; round < 4; ++round) {
    std::vector<float> results[2];
    for (size_t offset : {0, 4, 0, 36}) {
      Buffer in(32 * sizeof(float), offset), out(16 * sizeof(float), offset);
      for (int k = 0; k < 32; ++k) in.f()[k] = 0.25f * ((k * (round + 3)) % 17) - 1.5f;
      std::memset(out.data, 0xff, 16 * sizeof(float));  // NaNs: an unwritten output shows
      const void* inputs[] = {in.data};
      void* outputs[] = {out.data};
      Require(exec->Run(inputs, outputs, &error), "run: " + error);
      std::vector<float> got(out.f(), out.f() + 16);
      for (float v : got) Require(v == v, "output written (no NaN left)");
      std::vector<float>& slot = results[offset == 0 ? 0 : 1];
      if (slot.empty()) slot = got;
      Require(slot == got, "repeatable results");
    }
    Require(results[0] == results[1], "aligned and misaligned results agree");
  }
  std::printf("ok staging buffers for misaligned tensors (%s): %s\n",
              allow_zero_copy ? "zero-copy allowed" : "zero-copy disabled",
              exec->DescribeBindings().c_str());
}

void CheckBindingPlan(const std::string& aliasing_path) {
  std::string error;
  auto exec =
      tf2tvm::GraphExecutor::Load(aliasing_path, {F32({2, 8})},
                                  {F32({8}), F32({2, 8}), F32({2, 8}), F32({2, 8})}, true, &error);
  Require(exec != nullptr, "load aliasing: " + error);
  std::string plan = exec->DescribeBindings();
  Require(plan.find("zero-copy") == std::string::npos, "aliasing artifact is all copied: " + plan);
  std::printf("ok aliased tensors are copied: %s\n", plan.c_str());
}

void CheckLoadErrors(const std::string& dense_path) {
  std::string error;
  auto exec = tf2tvm::GraphExecutor::Load(dense_path, {F32({4, 8})}, {F32({4, 5})}, true, &error);
  Require(exec == nullptr && error.find("out0 is float32[4,4] in the artifact but float32[4,5]") !=
                                 std::string::npos,
          "shape mismatch reported, got: " + error);
  std::printf("ok mismatch error: %s\n", error.c_str());

  error.clear();
  exec =
      tf2tvm::GraphExecutor::Load(dense_path, {F32({4, 8}), F32({1})}, {F32({4, 4})}, true, &error);
  Require(exec == nullptr && error.find("no input named in1") != std::string::npos,
          "missing input reported, got: " + error);
  std::printf("ok missing-input error: %s\n", error.c_str());

  error.clear();
  exec = tf2tvm::GraphExecutor::Load("/nonexistent/x.so", {}, {F32({1})}, true, &error);
  Require(exec == nullptr && error.find("TVMModLoadFromFile") != std::string::npos,
          "load failure reported, got: " + error);
  std::printf("ok load failure carries TVMGetLastError(): %.140s...\n", error.c_str());
}

// A pool of plain threads, one per Schedule call, counting its tasks.
class CountingPool : public tf2tvm::TaskPool {
 public:
  explicit CountingPool(int threads) : threads_(threads) {}
  ~CountingPool() override { Join(); }
  int NumThreads() const override { return threads_; }
  void Schedule(std::function<void()> fn) override {
    ++scheduled;
    workers_.emplace_back(std::move(fn));
  }
  void Join() {
    for (auto& t : workers_) t.join();
    workers_.clear();
  }
  std::atomic<int> scheduled{0};

 private:
  int threads_;
  std::vector<std::thread> workers_;
};

void CheckParallelLoops(const std::string& wide_path) {
  std::string error;
  auto exec =
      tf2tvm::GraphExecutor::Load(wide_path, {F32({64, 128})}, {F32({64, 256})}, true, &error);
  Require(exec != nullptr, "load dense_wide: " + error);
  Require(exec->parallel(), "dense_wide's parallel loops are redirected");
  Buffer in(64 * 128 * sizeof(float), 0), serial(64 * 256 * sizeof(float), 0),
      parallel(64 * 256 * sizeof(float), 0);
  for (int k = 0; k < 64 * 128; ++k) in.f()[k] = 0.125f * (k % 23) - 1.0f;
  const void* inputs[] = {in.data};
  void* serial_out[] = {serial.data};
  Require(exec->Run(inputs, serial_out, &error), "serial run: " + error);
  for (int threads : {2, 3}) {
    CountingPool pool(threads);
    std::memset(parallel.data, 0xff, 64 * 256 * sizeof(float));
    void* parallel_out[] = {parallel.data};
    Require(exec->Run(inputs, parallel_out, &pool, &error), "parallel run: " + error);
    pool.Join();
    Require(pool.scheduled > 0, "the run scheduled tasks on the pool");
    Require(std::memcmp(serial.data, parallel.data, 64 * 256 * sizeof(float)) == 0,
            "parallel and serial results are identical");
    std::printf("ok parallel loops on a %d-thread pool: %d helper tasks, same result\n", threads,
                pool.scheduled.load());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DENSE_B4_SO ALIASING_SO DENSE_WIDE_SO\n", argv[0]);
    return 2;
  }
  CheckSha256();
  CheckStaging(argv[1], true);
  CheckStaging(argv[1], false);
  CheckBindingPlan(argv[2]);
  CheckLoadErrors(argv[1]);
  CheckParallelLoops(argv[3]);
  return 0;
}
