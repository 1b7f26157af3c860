// The launcher of TVM's parallel loops that tf2tvm puts in every library it
// loads, shared by the bridge op (tvm_executor.cc: the tasks go to
// TensorFlow's intra-op threads) and by the tuner's launcher library
// (launcher.cc: the tasks go to a plain thread pool), so that a schedule is
// timed while tuning with the very code the bridge op runs it with.
//
// TensorFlow-free and TVM-runtime-free: only TVM's C headers.
#ifndef TF2TVM_RUNTIME_PARALLEL_LAUNCH_H_
#define TF2TVM_RUNTIME_PARALLEL_LAUNCH_H_

#include <functional>
#include <memory>
#include <string>

namespace tf2tvm {

// Threads for the parallel loops of a run.
//
// Code TVM compiles splits a parallel loop into tasks and hands them to the
// runtime's TVMBackendParallelLaunch, through a function pointer each
// library holds (__TVMBackendParallelLaunch). The runtime tf2tvm ships
// (hhb-tvm 3.2.3, OpenMP build) runs every such loop as one task on the
// calling thread, whatever TVM_NUM_THREADS or runtime.config_threadpool
// say. RedirectParallelLaunch therefore points that function pointer at
// ParallelLaunch, which runs the tasks on the calling thread plus the
// TaskPool set for that thread: in the bridge op, TensorFlow's intra-op
// threads, so TVM and TensorFlow share one set of threads rather than
// oversubscribing the cores.
class TaskPool {
 public:
  virtual ~TaskPool() = default;
  // Tasks a parallel loop is split into (the caller runs some): >= 1.
  virtual int NumThreads() const = 0;
  // Runs fn once on another thread, soon. The launcher never depends on
  // it starting: the caller takes any task no helper has started.
  virtual void Schedule(std::function<void()> fn) = 0;
};

// Process-wide threads of tf2tvm's own (grown on demand, never shut down;
// idle ones spin briefly, then sleep): the tuner's launcher library runs
// its loops' helpers here.
void GrowOwnThreads(int workers);
void ScheduleOnOwnThreads(std::function<void()> fn);

// The pool of the run on this thread (ScopedRun); null outside runs and on
// pool threads, where parallel loops run inline as one task.
TaskPool* ThreadTaskPool();

class Crew;

// One run of a library's code on this thread: its parallel loops go to
// `pool` (null: inline). With NumThreads() > 1, NumThreads() - 1 helpers are
// scheduled on the pool at the start (a crew) and serve every loop of the
// run until the scope ends; a helper idle for a moment leaves, and the next
// loop schedules another; one the pool starts late joins the loop under way,
// or finds the run over and returns. Helpers scheduled once per loop
// instead would each come only after the pool's wake-up, every loop.
class ScopedRun {
 public:
  explicit ScopedRun(TaskPool* pool);
  ~ScopedRun();
  ScopedRun(const ScopedRun&) = delete;
  ScopedRun& operator=(const ScopedRun&) = delete;

 private:
  TaskPool* saved_pool_;
  Crew* saved_crew_;
  std::shared_ptr<Crew> crew_;
};

enum class Redirect {
  kRedirected,      // the library's parallel loops now go to ParallelLaunch
  kNoParallelLoop,  // no __TVMBackendParallelLaunch: the code has no parallel loop
  kUsesBarrier,     // TVMBackendParallelBarrier: tasks must run at once; left alone
  kNotLoaded,       // the path is not loaded in this process
};

// Points the __TVMBackendParallelLaunch of the library loaded from `path`
// (the path it was dlopen'ed by) at ParallelLaunch. The runtime sets that
// pointer when it loads a library; a later load of the same file sets it
// back until it is redirected again, which only makes loops run on one
// thread meanwhile.
Redirect RedirectParallelLaunch(const std::string& path);

}  // namespace tf2tvm

#endif  // TF2TVM_RUNTIME_PARALLEL_LAUNCH_H_
