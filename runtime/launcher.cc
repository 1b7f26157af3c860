// libtf2tvm_launcher.so: the bridge op's parallel-loop launcher
// (parallel_launch.cc) on a plain thread pool, with a C API for ctypes, so
// that the tuner (backends/tvm/tuning.py) times candidates on as many
// threads, split the same way, as the bridge op will run them on. No
// TensorFlow, and no TVM runtime either: the TVM headers only.
//
//   int tf2tvm_launcher_redirect(const char* so_path)
//       points the parallel loops of the library loaded from so_path at the
//       launcher: 0 done, 1 the library has no parallel loop, 2 it uses
//       TVMBackendParallelBarrier (left alone), -1 not loaded here.
//   int tf2tvm_launcher_set_threads(int n)
//       the calling thread's parallel loops then run as n tasks, on it and
//       n - 1 pool threads (1: inline, as outside any run). 0, or -1 when n
//       is not in 1..4096.
//   int tf2tvm_launcher_threads(void)
//       the calling thread's setting.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "parallel_launch.h"

namespace tf2tvm {
namespace {

constexpr int kMaxThreads = 4096;

// How long an idle pool thread keeps looking for work before it sleeps.
// TensorFlow's intra-op pool (Eigen's non-blocking pool) spins likewise
// (a few thousand steal attempts), so a loop that follows another soon (the
// next fused operator) finds its helpers awake on both sides.
constexpr auto kSpin = std::chrono::microseconds(200);

// Process-wide threads, grown on demand, never shut down (they sleep when
// idle; the process may exit with them).
class WorkerPool {
 public:
  void Grow(int workers) {
    std::lock_guard<std::mutex> lock(grow_mu_);
    while (static_cast<int>(threads_.size()) < workers) {
      threads_.emplace_back([this] { Work(); });
      threads_.back().detach();
    }
  }

  void Schedule(std::function<void()> fn) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(fn));
      queued_.fetch_add(1, std::memory_order_release);
      wake = sleepers_ > 0;
    }
    if (wake) ready_.notify_one();
  }

 private:
  void Work() {
    for (;;) {
      auto until = std::chrono::steady_clock::now() + kSpin;
      for (int i = 1; queued_.load(std::memory_order_acquire) == 0; ++i) {
        if (i % 64 == 0 && std::chrono::steady_clock::now() > until) break;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (queue_.empty()) {
          ++sleepers_;
          ready_.wait(lock, [this] { return !queue_.empty(); });
          --sleepers_;
        }
        fn = std::move(queue_.front());
        queue_.pop_front();
        queued_.fetch_sub(1, std::memory_order_relaxed);
      }
      fn();
    }
  }

  std::mutex grow_mu_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  std::atomic<int> queued_{0};
  int sleepers_ = 0;
};

WorkerPool* Workers() {
  static WorkerPool* pool = new WorkerPool();  // never destroyed: see WorkerPool
  return pool;
}

// One thread's view of the pool: its task count.
class ThreadPoolView : public TaskPool {
 public:
  int NumThreads() const override { return num_threads_; }
  void Schedule(std::function<void()> fn) override { Workers()->Schedule(std::move(fn)); }
  void set_num_threads(int n) { num_threads_ = n; }

 private:
  int num_threads_ = 1;
};

thread_local ThreadPoolView view;

}  // namespace
}  // namespace tf2tvm

extern "C" {

__attribute__((visibility("default"))) int tf2tvm_launcher_redirect(const char* so_path) {
  if (so_path == nullptr) return -1;
  switch (tf2tvm::RedirectParallelLaunch(so_path)) {
    case tf2tvm::Redirect::kRedirected: return 0;
    case tf2tvm::Redirect::kNoParallelLoop: return 1;
    case tf2tvm::Redirect::kUsesBarrier: return 2;
    case tf2tvm::Redirect::kNotLoaded: return -1;
  }
  return -1;
}

__attribute__((visibility("default"))) int tf2tvm_launcher_set_threads(int n) {
  if (n < 1 || n > tf2tvm::kMaxThreads) return -1;
  if (n > 1) tf2tvm::Workers()->Grow(n - 1);
  tf2tvm::view.set_num_threads(n);
  tf2tvm::SetThreadTaskPool(n > 1 ? &tf2tvm::view : nullptr);
  return 0;
}

__attribute__((visibility("default"))) int tf2tvm_launcher_threads(void) {
  return tf2tvm::ThreadTaskPool() == nullptr ? 1 : tf2tvm::ThreadTaskPool()->NumThreads();
}

}  // extern "C"
