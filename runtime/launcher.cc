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
#include <functional>
#include <memory>
#include <utility>

#include "parallel_launch.h"

namespace tf2tvm {
namespace {

constexpr int kMaxThreads = 4096;

// One thread's view of the pool: its task count.
class ThreadPoolView : public TaskPool {
 public:
  int NumThreads() const override { return num_threads_; }
  void Schedule(std::function<void()> fn) override { ScheduleOnOwnThreads(std::move(fn)); }
  void set_num_threads(int n) { num_threads_ = n; }

 private:
  int num_threads_ = 1;
};

thread_local ThreadPoolView view;
// The calling thread's loops as one long run: the tuner times `run` calls of
// a module directly, with no scope around each, so the crew lives from one
// set_threads to the next (its members leave when idle, as in a run).
thread_local std::unique_ptr<ScopedRun> run;

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
  if (n > 1) tf2tvm::GrowOwnThreads(n - 1);
  tf2tvm::run.reset();
  tf2tvm::view.set_num_threads(n);
  tf2tvm::run = std::make_unique<tf2tvm::ScopedRun>(n > 1 ? &tf2tvm::view : nullptr);
  return 0;
}

__attribute__((visibility("default"))) int tf2tvm_launcher_threads(void) {
  return tf2tvm::ThreadTaskPool() == nullptr ? 1 : tf2tvm::ThreadTaskPool()->NumThreads();
}

}  // extern "C"
