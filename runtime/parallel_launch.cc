// ParallelLaunch: TVMBackendParallelLaunch's replacement in the libraries
// tf2tvm loads, and the redirect that installs it (parallel_launch.h).
#include "parallel_launch.h"

#include <dlfcn.h>
#include <tvm/runtime/c_backend_api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

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

// How long a crew member waits for the run's next parallel loop before it
// leaves: loops of one run follow each other within microseconds (the next
// fused operator), so a member mostly finds the next one while spinning.
constexpr auto kCrewSpin = std::chrono::microseconds(300);
// How long the caller of a loop spins for its helpers' tasks before it sleeps.
constexpr auto kCallerSpin = std::chrono::microseconds(100);

}  // namespace

// One run's helpers (ScopedRun): up to T - 1 closures on the run's pool that
// take tasks of each parallel loop the run launches. Scheduling helpers per
// loop reaches each only after the pool's wake-up, every loop; a crew member
// is awake when the next loop starts. A member that finds no loop within
// kCrewSpin leaves, so it never holds a pool thread through a long serial
// stretch; the next loop schedules a replacement.
class Crew : public std::enable_shared_from_this<Crew> {
 public:
  Crew(TaskPool* pool, int members) : pool_(pool), wanted_(members) {}

  // Tasks a loop is split into: the caller and the members.
  int threads() const { return wanted_ + 1; }

  // Schedules members until `wanted_` are serving or on their way.
  void TopUp() {
    int missing;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      missing = wanted_ - members_;
      members_ = wanted_;
    }
    for (int i = 0; i < missing; ++i) {
      std::shared_ptr<Crew> self = shared_from_this();
      pool_->Schedule([self] { self->Serve(); });
    }
  }

  // The caller's ParallelLaunch: hands the loop to the members.
  void Publish(const std::shared_ptr<ParallelLoop>& loop) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      loop_ = loop;
      generation_.fetch_add(1, std::memory_order_release);
    }
    TopUp();
  }

  // The run is over: members return (one still starting returns at once).
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    loop_.reset();
    generation_.fetch_add(1, std::memory_order_release);
  }

 private:
  // A member: runs tasks of the loop under way and of each one published
  // while it waits, until none comes within kCrewSpin or the run ends.
  void Serve() {
    std::shared_ptr<ParallelLoop> loop;
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) {
        --members_;
        return;
      }
      loop = loop_;
      seen = generation_.load(std::memory_order_relaxed);
    }
    for (;;) {
      if (loop != nullptr) RunTasks(loop.get());
      loop.reset();
      auto until = std::chrono::steady_clock::now() + kCrewSpin;
      for (int i = 1; generation_.load(std::memory_order_acquire) == seen; ++i) {
        if (i % 64 == 0 && std::chrono::steady_clock::now() > until) break;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_ || generation_.load(std::memory_order_relaxed) == seen) {
        --members_;
        return;
      }
      seen = generation_.load(std::memory_order_relaxed);
      loop = loop_;
    }
  }

  TaskPool* pool_;  // the run's: outlives every TopUp (they happen in the run)
  const int wanted_;
  std::mutex mu_;
  std::shared_ptr<ParallelLoop> loop_;  // the latest loop (done or under way)
  std::atomic<uint64_t> generation_{0};
  int members_ = 0;  // serving, or scheduled and not yet returned
  bool stopped_ = false;
};

namespace {

thread_local Crew* current_crew = nullptr;

// Same contract as TVMBackendParallelLaunch: task ids 0..num_task-1 each
// run once, the lambda reads num_task from env and splits the loop by it;
// num_task 0 asks for the default count. The caller runs tasks too and
// takes every task no helper has started, so a busy pool only slows a loop
// down, never blocks it. Tasks may run one after another on one thread:
// correct for loops without TVMBackendParallelBarrier, the only ones sent
// here.
int ParallelLaunch(FTVMParallelLambda lambda, void* cdata, int num_task) {
  // A pool of more than one thread comes with a crew (ScopedRun).
  int threads = current_crew == nullptr ? 1 : current_crew->threads();
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
  current_crew->Publish(loop);
  RunTasks(loop.get());
  // The last tasks are a helper's, under way: they usually end within
  // microseconds, sooner than a sleeping caller would wake.
  auto until = std::chrono::steady_clock::now() + kCallerSpin;
  for (int i = 1; loop->unfinished.load(std::memory_order_acquire) > 0; ++i) {
    if (i % 64 == 0 && std::chrono::steady_clock::now() > until) break;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  if (loop->unfinished.load() > 0) {
    std::unique_lock<std::mutex> lock(loop->mu);
    loop->done.wait(lock, [&] { return loop->unfinished.load() == 0; });
  }
  return loop->failed ? -1 : 0;
}

}  // namespace

namespace {

// How long an idle pool thread keeps looking for work before it sleeps.
// TensorFlow's intra-op pool (Eigen's non-blocking pool) spins likewise
// (a few thousand steal attempts), so a loop that follows another soon (the
// next fused operator) finds its helpers awake on both sides.
constexpr auto kPoolSpin = std::chrono::microseconds(200);

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
      auto until = std::chrono::steady_clock::now() + kPoolSpin;
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

}  // namespace

void GrowOwnThreads(int workers) { Workers()->Grow(workers); }

void ScheduleOnOwnThreads(std::function<void()> fn) { Workers()->Schedule(std::move(fn)); }

TaskPool* ThreadTaskPool() { return current_pool; }

ScopedRun::ScopedRun(TaskPool* pool) : saved_pool_(current_pool), saved_crew_(current_crew) {
  current_pool = pool;
  current_crew = nullptr;
  int threads = pool == nullptr ? 1 : pool->NumThreads();
  if (threads > 1) {
    crew_ = std::make_shared<Crew>(pool, threads - 1);
    crew_->TopUp();  // awake by the first loop
    current_crew = crew_.get();
  }
}

ScopedRun::~ScopedRun() {
  if (crew_ != nullptr) crew_->Stop();
  current_pool = saved_pool_;
  current_crew = saved_crew_;
}

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
