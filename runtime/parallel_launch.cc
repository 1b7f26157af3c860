// ParallelLaunch: TVMBackendParallelLaunch's replacement in the libraries
// tf2tvm loads, and the redirect that installs it (parallel_launch.h).
#include "parallel_launch.h"

#include <dlfcn.h>
#include <tvm/runtime/c_backend_api.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace tf2tvm {
namespace {

// The pool of the run on this thread; null outside runs and on helper
// threads, where a (nested) parallel loop runs on the calling thread.
thread_local TaskPool* current_pool = nullptr;

// One parallel loop: tasks 0..num_task-1, claimed by whoever comes first.
struct ParallelLoop {
  FTVMParallelLambda lambda;
  void* cdata;
  int num_task;
  std::atomic<int> next{0};        // the next task nobody has claimed
  std::atomic<int> unfinished{0};  // tasks claimed or not, not yet done
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable done;
};

void RunTasks(ParallelLoop* loop) {
  TVMParallelGroupEnv env;
  env.sync_handle = nullptr;
  env.num_task = loop->num_task;
  for (int task; (task = loop->next.fetch_add(1)) < loop->num_task;) {
    if (loop->lambda(task, &env, loop->cdata) != 0) loop->failed = true;
    if (loop->unfinished.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(loop->mu);
      loop->done.notify_all();
    }
  }
}

// Same contract as TVMBackendParallelLaunch: task ids 0..num_task-1 each
// run once, the lambda reads num_task from env and splits the loop by it;
// num_task 0 asks for the default count. The caller runs tasks too and
// takes every task no helper has started, so a busy pool only slows a loop
// down, never blocks it. Tasks may run one after another on one thread:
// correct for loops without TVMBackendParallelBarrier, the only ones sent
// here.
int ParallelLaunch(FTVMParallelLambda lambda, void* cdata, int num_task) {
  TaskPool* pool = current_pool;
  int threads = pool == nullptr ? 1 : std::max(1, pool->NumThreads());
  int n = num_task <= 0 ? threads : std::min(num_task, threads);
  if (n <= 1) {
    TVMParallelGroupEnv env;
    env.sync_handle = nullptr;
    env.num_task = 1;
    return lambda(0, &env, cdata);
  }
  // Helpers may start after the loop is over: they hold a reference.
  auto loop = std::make_shared<ParallelLoop>();
  loop->lambda = lambda;
  loop->cdata = cdata;
  loop->num_task = n;
  loop->unfinished = n;
  for (int i = 1; i < n; ++i) pool->Schedule([loop] { RunTasks(loop.get()); });
  RunTasks(loop.get());
  if (loop->unfinished.load() > 0) {
    std::unique_lock<std::mutex> lock(loop->mu);
    loop->done.wait(lock, [&] { return loop->unfinished.load() == 0; });
  }
  return loop->failed ? -1 : 0;
}

}  // namespace

void SetThreadTaskPool(TaskPool* pool) { current_pool = pool; }

TaskPool* ThreadTaskPool() { return current_pool; }

Redirect RedirectParallelLaunch(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return Redirect::kNotLoaded;
  Redirect result;
  void* slot = dlsym(handle, "__TVMBackendParallelLaunch");
  if (slot == nullptr) {
    result = Redirect::kNoParallelLoop;
  } else if (dlsym(handle, "__TVMBackendParallelBarrier") != nullptr) {
    result = Redirect::kUsesBarrier;
  } else {
    *static_cast<decltype(&ParallelLaunch)*>(slot) = &ParallelLaunch;
    result = Redirect::kRedirected;
  }
  dlclose(handle);
  return result;
}

}  // namespace tf2tvm
